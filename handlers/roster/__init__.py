"""The organisation as its administrators keep it: the directory read from the database and kept
current, changes from chat (officers, liaison officers), and the rows of the import files."""
