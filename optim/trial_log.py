"""The log of a search: one JSON object per line, one line per finished trial.

Each line is written (and flushed) as its trial finishes, in the order they finish::

    {"number": 3, "round": 0, "params": {"lr": 0.0012, "act": "tanh"}, "score": 0.051,
     "status": "done", "error": null, "error_type": null, "duration": 0.84}

``score`` is null when the trial did not succeed (NaN is not JSON). Resuming reads the
lines back (plain JSON: nothing is unpickled), draws the trials again from the same seed
and keeps every logged trial whose parameters equal the new draw, so only the trials that
had not finished run again. A last line cut short by the interruption is dropped.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import warnings
from typing import Any

from .trials import STATUSES

FIELDS = ("number", "round", "params", "score", "status", "error", "error_type", "duration")


def as_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON types: numpy scalars to numbers, tuples to lists."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ValueError(f"{where} = {value!r} cannot be written to the log (JSON has no inf or nan)")
        return float(value)
    if isinstance(value, (list, tuple)):
        return [as_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: as_json(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(f"{where} = {value!r} cannot be written to the log: only numbers, strings, bools, None "
                    "and lists or dicts of them can")


def _check_record(record: Any, where: str) -> dict:
    if not isinstance(record, dict) or set(record) != set(FIELDS):
        raise ValueError(f"{where}: a trial needs exactly the fields {', '.join(FIELDS)}, got {record!r:.200}")
    for name in ("number", "round"):
        if isinstance(record[name], bool) or not isinstance(record[name], int) or record[name] < 0:
            raise ValueError(f"{where}: {name} must be an integer >= 0, got {record[name]!r}")
    if not isinstance(record["params"], dict):
        raise ValueError(f"{where}: params must be an object, got {record['params']!r:.200}")
    if record["status"] not in STATUSES:
        raise ValueError(f"{where}: status must be one of {', '.join(STATUSES)}, got {record['status']!r}")
    for name in ("score", "duration"):
        value = record[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{where}: {name} must be a number or null, got {value!r}")
    if (record["status"] == "done") != (record["error"] is None) or (record["score"] is None) == (
            record["status"] == "done"):
        raise ValueError(f"{where}: a done trial has a score and no error, any other has an error and no score")
    return record


def read_log(path: str | os.PathLike, owner: str) -> tuple[dict[int, dict], int]:
    """The trials of a log by number, and the byte length of its complete lines."""
    with open(path, "rb") as file:
        content = file.read()
    records: dict[int, dict] = {}
    complete = content.rfind(b"\n") + 1
    if complete < len(content):
        warnings.warn(f"{owner}: the last line of {os.fspath(path)!r} was cut short (the search was interrupted "
                      "while writing it); that trial runs again", RuntimeWarning, stacklevel=3)
    for line_number, line in enumerate(content[:complete].split(b"\n")[:-1], start=1):
        where = f"{owner}: resume={os.fspath(path)!r}, line {line_number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{where} is not a JSON object ({error})") from None
        record = _check_record(record, where)
        records[record["number"]] = record
    return records, complete


class TrialLog:
    """Writes each finished trial to ``log`` and hands back the trials of ``resume``.

    ``resume`` alone: its trials are kept and the new ones appended to the same file.
    ``log`` and ``resume`` different files: ``log`` gets the kept trials and the new ones.
    ``log`` alone: a new log; a file that already holds trials is refused rather than mixed
    with another search.
    """

    def __init__(self, log: Any, resume: Any, total: int, owner: str) -> None:
        for name, value in (("log", log), ("resume", resume)):
            if value is not None and not isinstance(value, (str, os.PathLike)):
                raise TypeError(f"{owner}: {name} must be a file path or None, got {value!r}")
        self.owner, self.file, self.copy_kept = owner, None, False
        self.previous: dict[int, dict] = {}
        self.path = log if log is not None else resume
        if resume is not None:
            if not os.path.isfile(resume):
                raise FileNotFoundError(f"{owner}: resume={os.fspath(resume)!r}: no such file (the log of the "
                                        "search to continue)")
            self.previous, complete = read_log(resume, owner)
            beyond = sorted(number for number in self.previous if number >= total)
            if beyond:
                raise ValueError(f"{owner}: resume={os.fspath(resume)!r} has trial {beyond[0]}, but this search "
                                 f"has only {total} trials: not the same search (n_trials or rounds differ)")
            same = log is None or os.path.abspath(log) == os.path.abspath(resume)
            if same:
                if complete < os.path.getsize(resume):
                    os.truncate(resume, complete)  # drop the half-written line before appending
            self.copy_kept = not same
        if self.path is not None and (resume is None or self.copy_kept):
            if os.path.isfile(self.path) and os.path.getsize(self.path) > 0:
                raise ValueError(f"{owner}: log={os.fspath(self.path)!r} already holds trials: pass "
                                 f"resume={os.fspath(self.path)!r} to continue that search, or another path")
        if self.path is not None:
            self.file = open(self.path, "a", encoding="utf-8")

    def kept(self, number: int, round_number: int, params: dict) -> dict | None:
        """The logged record of trial ``number``, if its parameters equal this draw's."""
        record = self.previous.get(number)
        if record is None:
            return None
        drawn = as_json(params, "params")
        if record["params"] != drawn or record["round"] != round_number:
            raise ValueError(
                f"{self.owner}: trial {number} in the resumed log has params {record['params']} (round "
                f"{record['round']}) but this search draws {drawn} (round {round_number}): not the same "
                "search (a different seed or space?)"
            )
        if self.copy_kept:
            self._write(record)
        return record

    def write(self, number: int, round_number: int, params: dict, score: float, status: str,
              error: str | None, error_type: str | None, duration: float) -> None:
        if self.file is None:
            return
        self._write({
            "number": number, "round": round_number, "params": as_json(params, "params"),
            "score": None if math.isnan(score) else score, "status": status, "error": error,
            "error_type": error_type, "duration": None if math.isnan(duration) else duration,
        })

    def _write(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


__all__ = ["TrialLog", "read_log", "as_json", "FIELDS"]
