"""The README's per-process sections are generated from the definitions and kept current."""

from familyflow.process_docs import README, START, generated, updated
from workflows import all_processes


def test_the_readme_has_a_current_section_per_process_with_its_rules_and_diagram():
    readme = README.read_text()
    assert START in readme, "run: python -m familyflow.process_docs"
    assert updated(readme) == readme, "README is stale: run python -m familyflow.process_docs"
    for process in all_processes().values():
        assert f"(`{process.name}`)" in generated()
