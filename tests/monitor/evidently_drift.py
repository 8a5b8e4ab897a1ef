"""Evidently's drift verdicts for the cases on stdin (JSON), printed as JSON: the reference
side of tests/monitor/drift-parity.test.ts. Each case: reference/current columns, their
dtypes (float, int, str), and DataDriftPreset's options. Per column: the method Evidently's
report names, its score, and the verdict of the same StatTest object on the same data."""
import json
import sys
import warnings

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.legacy.calculations.stattests.registry import get_stattest
from evidently.legacy.core import ColumnType
from evidently.presets import DataDriftPreset

warnings.filterwarnings("ignore")


def frame(columns, dtypes):
    data = {}
    for name, values in columns.items():
        kind = dtypes[name]
        if kind == "float":
            data[name] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        elif kind == "int":
            data[name] = pd.Series(values, dtype="int64")
        else:
            data[name] = pd.Series(values, dtype="object")
    return pd.DataFrame(data)


def run(case):
    reference = frame(case["reference"], case["dtypes"])
    current = frame(case["current"], case["dtypes"])
    categorical = case.get("categorical") or []
    if categorical:
        inferred = Dataset.from_pandas(current).data_definition
        numerical = [c for c in inferred.get_numerical_columns() if c not in categorical]
        cats = [c for c in inferred.get_categorical_columns() if c not in categorical] + categorical
        definition = DataDefinition(numerical_columns=numerical, categorical_columns=cats)
        current_ds = Dataset.from_pandas(current, data_definition=definition)
        reference_ds = Dataset.from_pandas(reference, data_definition=definition)
    else:
        current_ds = Dataset.from_pandas(current)
        reference_ds = Dataset.from_pandas(reference)
    preset = DataDriftPreset(
        columns=case["columns"],
        drift_share=case.get("drift_share", 0.5),
        method=case.get("method"),
        per_column_method=case.get("per_column_method"),
        threshold=case.get("threshold"),
    )
    snapshot = Report([preset]).run(current_ds, reference_ds)
    definition = current_ds.data_definition
    out = {"columns": {}}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            out["count"] = metric["value"]["count"]
            out["share"] = metric["value"]["share"]
            continue
        name = config["column"]
        column_type = definition.get_column_type(name)
        ref = reference[name].replace([-np.inf, np.inf], np.nan).dropna()
        cur = current[name].replace([-np.inf, np.inf], np.nan).dropna()
        stattest = get_stattest(ref, cur, column_type, (case.get("per_column_method") or {}).get(name) or case.get("method"))
        verdict = stattest(ref, cur, column_type, config["threshold"])
        out["columns"][name] = {
            "type": "num" if column_type == ColumnType.Numerical else "cat",
            "method": stattest.name,
            "method_name": config["method"],
            "score": None if metric["value"] is None or np.isnan(metric["value"]) else float(metric["value"]),
            "threshold": config["threshold"],
            "drifted": bool(verdict.drifted),
        }
    return out


cases = json.load(sys.stdin)
json.dump([run(case) for case in cases], sys.stdout)
