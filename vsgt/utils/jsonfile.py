"""Reading the JSON files the project is given (annotations, submissions, durations).

Python's ``json`` keeps the last copy of a key that an object repeats, so a video listed twice
silently loses its first entry (and, in a submission, its predictions). :func:`load_json` refuses
a repeated key with one line naming the file and the key.
"""
import json
import os.path as osp
from typing import Any, List, Tuple


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key."""


def _refuse_duplicates(pairs: List[Tuple[str, Any]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def loads_json(text: str, source: str = 'JSON') -> Any:
    """Parse ``text``; one-line ``ValueError`` naming ``source`` if it is not JSON or an object
    repeats a key."""
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as error:
        raise ValueError(f'{source}: the key {error.args[0]!r} appears twice in one object (JSON '
                         'readers keep only the last copy; remove or rename one)') from None
    except json.JSONDecodeError as error:
        raise ValueError(f'{source}: not valid JSON ({error})') from None


def load_json(path: str, what: str = 'JSON file') -> Any:
    """Read the JSON file ``path`` with :func:`loads_json`; one-line error if it is missing."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} not found')
    try:
        with open(path, encoding='utf-8') as file:
            text = file.read()
    except UnicodeDecodeError as error:
        raise ValueError(f'{path}: not valid JSON ({error})') from None
    return loads_json(text, path)
