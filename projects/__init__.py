"""Models built on VSGT and mmaction2, one package each; installed as ``vsgt_projects``
(``vsgt_projects.<name>.<name>``, from the folder ``projects/<name>/<name>/``)."""
