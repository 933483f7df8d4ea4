"""The application's SQL, behind one boundary (the engine's is engine/store.py)."""
