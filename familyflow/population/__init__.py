"""Population simulation (issue 11): a county's year of referrals through the engine."""

from familyflow.population.runner import run
from familyflow.population.scenario import is_population, load
from familyflow.population.summary import side_by_side, text

__all__ = ["is_population", "load", "run", "side_by_side", "text"]
