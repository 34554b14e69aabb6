"""Read a store's campaign log (one row per customer: the arm they were randomised to, what they
did afterwards, and what was known about them beforehand) into the numeric matrix, arm labels and
outcome the uplift models need. Any store's export should work, so the columns are typed by what
they hold, not by name:

- numeric and boolean columns are kept as floats; missing values take the median and gain a
  `<col>__missing` indicator;
- strings whose every value starts with an "N)" prefix ("2) $100 - $200") are ordinals: the prefix;
- other strings are categoricals, one-hot encoded as `<col>=<level>`; a level held by fewer than
  RARE_LEVEL_SHARE of the rows, or beyond the MAX_LEVELS most frequent, is pooled into `<col>=other`;
- identifier-like columns (strings almost all distinct, or integers all distinct), constants and
  datetimes are dropped;
- post-treatment columns are dropped. In a randomised experiment everything known before the
  send is balanced between the arms, so a column whose distribution differs between the control
  and an arm far beyond chance was caused by the treatment: it is an outcome, and a model fed it
  would "predict" uplift from the answer. The rule, per column, with p the smallest p-value of a
  control-versus-arm test (Mann-Whitney U for numbers, chi-square for categories) times the
  number of arms (Bonferroni):
    p < POST_TREATMENT_P (1e-6, about five standard errors): dropped. A real covariate crosses
    it by chance about once in a million columns.
    p < NESTED_P (1e-3) and the column is constant on every row where the outcome is at its
    lowest value (no visit, nothing spent) while varying elsewhere: dropped. That is the shape of
    a downstream outcome (a conversion needs a visit, spend needs a conversion), which can be rare
    enough that its imbalance is only moderately significant, as Hillstrom's `conversion` is for
    the women's e-mail (p = 1.6e-4 on 42,693 rows).
  Columns that should not be features for other reasons are left out by naming the features
  (feature_cols); those are checked the same way.

The reasons for every column left out are recorded in CampaignLog.dropped_columns, so a report
can say what the model did not see and why.

Hillstrom (MineThatData, 2008): 64,000 customers randomised to a men's e-mail, a women's e-mail
or none. `hillstrom_log` is the protocol the bench uses: one e-mail arm against the control, the
eight pre-treatment columns as features, `visit` (or another outcome) as the outcome.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

MIN_ROWS_PER_ARM = 10
MAX_LEVELS = 20
RARE_LEVEL_SHARE = 0.01
IDENTIFIER_SHARE = 0.9
POST_TREATMENT_P = 1e-6
NESTED_P = 1e-3
ORDINAL_PREFIX = re.compile(r"^\s*(\d+)\s*\)")
OTHER_LEVEL = "other"

HILLSTROM_FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie", "channel"]
HILLSTROM_CONTROL = "No E-Mail"


@dataclass(frozen=True)
class CampaignLog:
    """features: numeric model matrix (float64), one row per customer, index as in the input.
    treatment: arm label (str) per row, control included. outcome: float per row.
    arms: the treatment arms other than the control, sorted.
    dropped_columns: every input column that is not a feature (treatment and outcome aside) -> why."""

    features: pd.DataFrame
    treatment: np.ndarray
    outcome: np.ndarray
    control: str
    arms: tuple[str, ...]
    dropped_columns: dict[str, str] = field(default_factory=dict)

    def treated(self, arm: str | None = None) -> np.ndarray:
        """1 where the row got `arm` (the only arm when None), 0 for the control; an int array."""
        if arm is None:
            if len(self.arms) != 1:
                raise ValueError(f"the log has several arms {list(self.arms)}; name one")
            arm = self.arms[0]
        return (self.treatment == arm).astype(np.int64)

    def only(self, arm: str) -> "CampaignLog":
        """The rows of the control and `arm`, as a one-arm log."""
        if arm not in self.arms:
            raise ValueError(f"treatment arm {arm!r} is not in the log (arms: {list(self.arms)})")
        keep = (self.treatment == arm) | (self.treatment == self.control)
        return CampaignLog(
            features=self.features[keep],
            treatment=self.treatment[keep],
            outcome=self.outcome[keep],
            control=self.control,
            arms=(arm,),
            dropped_columns=dict(self.dropped_columns),
        )


def read_campaign_log(
    frame: pd.DataFrame,
    *,
    treatment_col: str,
    control: str,
    outcome_col: str,
    feature_cols: list[str] | None = None,
    treatments: list[str] | None = None,
    min_rows_per_arm: int = MIN_ROWS_PER_ARM,
) -> CampaignLog:
    """Type, encode and screen the columns of a campaign log by the rules in the module docstring.
    Rows whose arm is neither the control nor one of `treatments` are left out; without
    `treatments` the log must hold exactly one arm besides the control. Raises ValueError naming
    the column for a missing column, an absent control or arm, several arms when none was named,
    a non-numeric or missing outcome, or an arm with fewer than `min_rows_per_arm` rows."""
    for column in (treatment_col, outcome_col, *(feature_cols or [])):
        if column not in frame.columns:
            raise ValueError(f"column {column!r} is not in the campaign log (columns: {list(frame.columns)})")
    if treatment_col == outcome_col:
        raise ValueError(f"column {treatment_col!r} cannot be both the treatment and the outcome")
    if frame[treatment_col].isna().any():
        raise ValueError(f"treatment column {treatment_col!r} has missing values")
    labels = frame[treatment_col].astype(str).str.strip().to_numpy()
    control = str(control).strip()
    present = set(labels)
    if control not in present:
        raise ValueError(f"control value {control!r} is not in column {treatment_col!r} (values: {sorted(present)})")
    if treatments is None:
        others = sorted(present - {control})
        if len(others) != 1:
            raise ValueError(
                f"treatment column {treatment_col!r} holds {len(others)} arms besides the control {others}; "
                "name the treatment(s) to compare"
            )
        arms = tuple(others)
    else:
        arms = tuple(sorted({str(t).strip() for t in treatments} - {control}))
        if not arms:
            raise ValueError(f"no treatment arm named for column {treatment_col!r}")
        for arm in arms:
            if arm not in present:
                raise ValueError(
                    f"treatment value {arm!r} is not in column {treatment_col!r} (values: {sorted(present)})"
                )
    keep = np.isin(labels, (control, *arms))
    frame, labels = frame.loc[keep], labels[keep]
    for arm in (control, *arms):
        rows = int((labels == arm).sum())
        if rows < min_rows_per_arm:
            raise ValueError(
                f"arm {arm!r} of column {treatment_col!r} has {rows} rows; at least {min_rows_per_arm} are needed"
            )

    outcome = _numeric_outcome(frame[outcome_col], outcome_col)
    if feature_cols is None:
        candidates = [c for c in frame.columns if c not in (treatment_col, outcome_col)]
        dropped: dict[str, str] = {}
    else:
        candidates = [c for c in dict.fromkeys(feature_cols) if c not in (treatment_col, outcome_col)]
        dropped = {
            c: "not among the named feature columns"
            for c in frame.columns
            if c not in candidates and c not in (treatment_col, outcome_col)
        }

    blocks = []
    for column in candidates:
        typed, reason = _typed_column(frame[column])
        if reason is None:
            reason = _post_treatment_reason(typed, labels, control, arms, outcome)
        if reason is not None:
            dropped[str(column)] = reason
            continue
        blocks.append(_encoded(typed, str(column)))
    features = pd.concat(blocks, axis=1) if blocks else pd.DataFrame(index=frame.index)
    return CampaignLog(
        features=features.astype(np.float64),
        treatment=labels.astype(str),
        outcome=outcome,
        control=control,
        arms=arms,
        dropped_columns=dropped,
    )


def load_hillstrom(path: str | Path) -> pd.DataFrame:
    """The raw Hillstrom file (gzip or plain CSV; CRLF endings and the quoted "$1,000" segment are
    handled by the CSV reader)."""
    return pd.read_csv(path)


def hillstrom_log(
    frame: pd.DataFrame, *, treatments: tuple[str, ...] = ("Womens E-Mail",), outcome: str = "visit"
) -> CampaignLog:
    """The bench protocol: `treatments` against "No E-Mail", `outcome` as the outcome, the eight
    pre-treatment columns as features (history_segment as its ordinal, zip_code and channel
    one-hot). The other two outcomes are recorded as not being features."""
    return read_campaign_log(
        frame,
        treatment_col="segment",
        control=HILLSTROM_CONTROL,
        outcome_col=outcome,
        feature_cols=HILLSTROM_FEATURES,
        treatments=list(treatments),
    )


def _numeric_outcome(values: pd.Series, column: str) -> np.ndarray:
    # Missing before numeric: a log read as text and one read typed get the same answer.
    if values.isna().any():
        raise ValueError(f"outcome column {column!r} has {int(values.isna().sum())} missing values")
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.int64)
    if not pd.api.types.is_numeric_dtype(values):
        parsed = pd.to_numeric(values, errors="coerce")
        if parsed.isna().any():
            bad = values[parsed.isna()].iloc[0]
            raise ValueError(f"outcome column {column!r} is not numeric (e.g. {bad!r})")
        values = parsed
    outcome = values.to_numpy(dtype=np.float64)
    if not np.isfinite(outcome).all():
        raise ValueError(f"outcome column {column!r} has non-finite values")
    return outcome


def _typed_column(values: pd.Series) -> tuple[pd.Series, str | None]:
    """The column as float (numbers, booleans, ordinals) or str (categories), or a reason to drop it."""
    present = values.dropna()
    if present.empty:
        return values, "empty"
    if pd.api.types.is_datetime64_any_dtype(values) or isinstance(values.dtype, pd.PeriodDtype):
        return values, "a date or time; derive numeric features from it first"
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.float64)
    elif not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip()
        prefixes = text.str.extract(ORDINAL_PREFIX, expand=False)
        if prefixes[text.notna()].notna().all():
            values = prefixes.astype(np.float64)
        else:
            numbers = pd.to_numeric(text, errors="coerce")
            if numbers[text.notna()].notna().all():
                values = numbers.astype(np.float64)
            else:
                if present.nunique() >= IDENTIFIER_SHARE * len(values) and len(values) > MAX_LEVELS:
                    return values, "identifier-like: almost every value distinct"
                if _pooled_levels(text).nunique() == 1:
                    return values, "constant (once rare levels are pooled)"
                return text, None
    elif pd.api.types.is_integer_dtype(values) and len(values) > MAX_LEVELS and values.nunique() == len(values):
        # Counts and amounts held as integers repeat once the log has more than a handful of rows.
        return values, "identifier-like: every value distinct"
    values = values.astype(np.float64)
    if values.nunique(dropna=True) <= 1:
        return values, "constant"
    return values, None


def _pooled_levels(text: pd.Series) -> pd.Series:
    counts = text.value_counts()
    kept = counts[counts >= RARE_LEVEL_SHARE * len(text)].index[:MAX_LEVELS]
    return text.where(text.isin(kept), OTHER_LEVEL).fillna(OTHER_LEVEL).astype(str)


def _post_treatment_reason(
    typed: pd.Series, labels: np.ndarray, control: str, arms: tuple[str, ...], outcome: np.ndarray
) -> str | None:
    numeric = pd.api.types.is_numeric_dtype(typed)
    values = typed.to_numpy(dtype=np.float64) if numeric else _pooled_levels(typed).to_numpy()
    in_control = labels == control
    p_values = []
    for arm in arms:
        in_arm = labels == arm
        if numeric:
            a, b = values[in_control], values[in_arm]
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            if len(a) == 0 or len(b) == 0 or np.ptp(np.concatenate([a, b])) == 0:
                continue
            p = stats.mannwhitneyu(a, b, method="asymptotic").pvalue
        else:
            both = in_control | in_arm
            table = pd.crosstab(values[both], labels[both]).to_numpy()
            if table.shape[0] < 2 or table.shape[1] < 2:
                continue
            p = stats.chi2_contingency(table, correction=False)[1]
        p_values.append(float(p))
    if not p_values:
        return None
    p = min(1.0, min(p_values) * len(arms))
    if p < POST_TREATMENT_P:
        return f"post-treatment: differs between control and treatment far beyond chance (p={p:.1e})"
    if p < NESTED_P:
        lowest = outcome == outcome.min()
        series = pd.Series(values)
        if 0 < lowest.sum() < len(outcome) and series[lowest].nunique(dropna=False) == 1 and series.nunique() > 1:
            return (
                f"post-treatment: differs between control and treatment (p={p:.1e}) and is constant "
                "wherever the outcome is at its lowest, as an outcome downstream of it would be"
            )
    return None


def _encoded(typed: pd.Series, column: str) -> pd.DataFrame:
    if pd.api.types.is_numeric_dtype(typed):
        missing = typed.isna()
        block = {column: typed.fillna(typed.median())}
        if missing.any():
            block[f"{column}__missing"] = missing.astype(np.float64)
        return pd.DataFrame(block, index=typed.index)
    pooled = _pooled_levels(typed)
    levels = sorted(pooled.unique(), key=lambda level: (level == OTHER_LEVEL, level))
    return pd.DataFrame(
        {f"{column}={level}": (pooled == level).astype(np.float64) for level in levels}, index=typed.index
    )
