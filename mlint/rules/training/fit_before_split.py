"""ML605: a preprocessing step fitted on the full data before the train/test split."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from mlint.analysis.imports import ImportTable, dotted_name
from mlint.analysis.origin import iter_name_nodes
from mlint.rule import Rule, register
from mlint.rules.training._shared import Step, assigned_value, root_name, scope_steps, scopes, shown
from mlint.walker import children

# Fitted steps that learn statistics of the data they see (label encoders excluded).
_PREPROCESSORS = frozenset(
    {
        "sklearn.preprocessing.StandardScaler",
        "sklearn.preprocessing.MinMaxScaler",
        "sklearn.preprocessing.RobustScaler",
        "sklearn.preprocessing.MaxAbsScaler",
        "sklearn.preprocessing.QuantileTransformer",
        "sklearn.preprocessing.PowerTransformer",
        "sklearn.preprocessing.KBinsDiscretizer",
        "sklearn.preprocessing.TargetEncoder",
        "sklearn.impute.SimpleImputer",
        "sklearn.impute.KNNImputer",
        "sklearn.impute.IterativeImputer",
        "sklearn.feature_selection.SelectKBest",
        "sklearn.feature_selection.SelectPercentile",
        "sklearn.feature_selection.SelectFromModel",
        "sklearn.feature_selection.RFE",
        "sklearn.feature_selection.RFECV",
        "sklearn.feature_selection.VarianceThreshold",
        "sklearn.decomposition.PCA",
        "sklearn.decomposition.TruncatedSVD",
        "sklearn.decomposition.KernelPCA",
        "sklearn.decomposition.FastICA",
        "sklearn.decomposition.NMF",
        "sklearn.decomposition.FactorAnalysis",
    }
)
_RESAMPLER_MODULES = ("imblearn.over_sampling.", "imblearn.under_sampling.", "imblearn.combine.")
_SPLITTERS = frozenset(
    {
        "sklearn.model_selection.train_test_split",
        "sklearn.model_selection.cross_val_score",
        "sklearn.model_selection.cross_validate",
        "sklearn.model_selection.cross_val_predict",
    }
)
_SEARCHES = frozenset(
    {
        "sklearn.model_selection.GridSearchCV",
        "sklearn.model_selection.RandomizedSearchCV",
        "sklearn.model_selection.HalvingGridSearchCV",
        "sklearn.model_selection.HalvingRandomSearchCV",
    }
)


@dataclass(frozen=True)
class _Fit:
    code: str  # the fitting call as written
    sees_y: bool
    resampled: bool = False


def _step_kind(call: cst.Call, imports: ImportTable) -> str | None:
    """``"preprocessor"`` / ``"resampler"`` for a constructor call of a fitted step."""
    resolved = imports.resolve(call.func)
    if resolved is None or not resolved.certain:
        return None
    if resolved.name in _PREPROCESSORS:
        return "preprocessor"
    if resolved.name.startswith(_RESAMPLER_MODULES):
        return "resampler"
    return None


@register
class FitBeforeSplit(Rule):
    """## What it does
    Checks for a scikit-learn scaler, imputer, feature selector or decomposition (or an
    imbalanced-learn resampler) fitted on the full data — `fit`, `fit_transform`,
    `fit_resample` — whose output (or anything computed from it) is then split or
    cross-validated: `train_test_split`, `cross_val_score`, `cross_validate`,
    `cross_val_predict`, a splitter's `.split(...)`, `GridSearchCV(...).fit(...)`. Also
    checks for a step that was fitted once and is fitted again on the test part of a
    split.

    ## Why is this bad?
    The step learned statistics (means, variances, selected features, principal
    axes, synthetic neighbours) from rows that later serve as test data. The
    evaluation then measures a model that has seen the test set: scores are optimistic
    and do not hold on new data. A selector that also saw `y` (`SelectKBest(chi2).fit(X,
    y)`) leaks the target itself, and oversampling before the split puts synthetic
    copies of test rows into training. Re-fitting on the test part gives the test data
    a different transformation from the one the model was trained with.

    ## Example
    ```python
    X_scaled = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X_scaled, y)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ```
    or put the step in a `Pipeline` and cross-validate the pipeline.

    ## Fix safety
    No fix: moving the fit after the split reorders the analysis.
    `LabelEncoder`/`LabelBinarizer` on the target, encoders that only learn the set of
    categories, and decompositions whose output is only plotted are not reported.
    Cross-validation (`cross_val_score`, `kf.split`, `GridSearchCV.fit`) of data that an
    unsupervised scaler, imputer or decomposition was fitted on is not reported either:
    only fold statistics leak and scores barely move; it is reported when the step also
    saw `y` or resampled the rows.

    ## References
    - [scikit-learn: Common pitfalls — data leakage](https://scikit-learn.org/stable/common_pitfalls.html#data-leakage)
    """

    code = "ML605"
    name = "fit-before-split"
    message = "Preprocessing fitted on the full data before the split: fit it on the training part"
    triggers = ("fit_transform(", ".fit(", "fit_resample(")

    def visit_Module(self, node: cst.Module) -> None:
        ctx = self.context
        source = ctx.source
        if not (ctx.imports.imports_module("sklearn") or ctx.imports.imports_module("imblearn")):
            return
        if (
            not any(
                word in source for word in ("train_test_split", "cross_", ".split(", "SearchCV")
            )
            and "_test" not in source
        ):
            return
        module_steps: dict[str, str] = {}
        for scope in scopes(node):
            self._check(scope_steps(scope, ctx.imports), module_steps, scope is node)

    def _check(self, steps: list[Step], module_steps: dict[str, str], is_module: bool) -> None:
        ctx = self.context
        imports = ctx.imports
        fitted_steps: dict[str, str] = dict(module_steps)  # name -> kind
        fitted_on: dict[str, _Fit] = {}  # step name -> its fit, for refits
        leaked: dict[str, _Fit] = {}  # data name -> the fit it came from
        splitters: set[str] = set()
        searches: set[str] = set()
        test_parts: set[str] = set()
        split_parts: set[str] = set()
        seen_loops: set[int] = set()
        for step in steps:
            for loop in step.loops:
                if id(loop) in seen_loops or not isinstance(loop, cst.For):
                    continue
                seen_loops.add(id(loop))
                for call in _calls(loop.iter):
                    fit = self._sink(call, leaked, splitters, searches)
                    if fit is not None:
                        self._report_split(call, fit)
                        leaked.clear()
                        break
            small = step.small
            targets, value = assigned_value(small)
            if isinstance(small, (cst.Expr, cst.Return)):
                value = small.value
            if value is None:
                continue
            bound = [n.value for t in targets for n in iter_name_nodes(t)]
            roots = [r for t in targets if (r := root_name(t)) is not None]
            # Constructors bound to names.
            if isinstance(value, cst.Call):
                kind = _step_kind(value, imports)
                qualified = imports.qualified(value.func) or ""
                if kind is not None:
                    for name in bound:
                        fitted_steps[name] = kind
                        if is_module:
                            module_steps[name] = kind
                elif qualified.startswith("sklearn.model_selection.") and qualified.endswith(
                    ("Fold", "Split", "ShuffleSplit")
                ):
                    splitters.update(bound)
                elif qualified in _SEARCHES:
                    searches.update(bound)
            for call in _calls(value):
                report = self._sink(call, leaked, splitters, searches)
                if report is not None:
                    self._report_split(call, report)
                    leaked.clear()
                    break
            if isinstance(value, cst.Call) and (
                imports.qualified(value.func) == "sklearn.model_selection.train_test_split"
            ):
                if len(targets) == 1 and isinstance(targets[0], (cst.Tuple, cst.List)):
                    parts = [root_name(e.value) for e in targets[0].elements]
                    for index, part in enumerate(parts):
                        if part is not None:
                            split_parts.add(part.value)
                            if index % 2 == 1:
                                test_parts.add(part.value)
                continue
            fit = self._fit(value, fitted_steps, fitted_on, split_parts, test_parts)
            if fit is not None:
                for name in bound:
                    leaked[name] = fit
                for root in roots:
                    leaked[root.value] = fit
                continue
            # Propagation: anything computed from leaked data is leaked too.
            read = {n.value for n in iter_name_nodes(value)}
            sources = [leaked[n] for n in read if n in leaked]
            if sources and targets:
                for name in bound:
                    leaked[name] = sources[0]
                for root in roots:
                    leaked.setdefault(root.value, sources[0])
            elif targets:
                for name in bound:
                    leaked.pop(name, None)

    def _report_split(self, call: cst.Call, fit: _Fit) -> None:
        ctx = self.context
        if fit.resampled:
            self.report(
                call,
                f"`{shown(ctx, call)}` splits data that `{fit.code}` resampled: rows "
                "synthesised from test rows reach training; resample the training part only",
            )
            return
        target = "it also saw the target; " if fit.sees_y else ""
        self.report(
            call,
            f"`{shown(ctx, call)}` splits data that `{fit.code}` was fitted on "
            f"({target}test rows included): fit it on the training part only",
        )

    def _fit(
        self,
        value: cst.BaseExpression,
        fitted_steps: dict[str, str],
        fitted_on: dict[str, _Fit],
        split_parts: set[str],
        test_parts: set[str],
    ) -> _Fit | None:
        """The fit an assigned value comes from, when it transforms the full data."""
        ctx = self.context
        call = value
        while isinstance(call, cst.Subscript):
            call = call.value  # X_res, y_res = sm.fit_resample(X, y)[...]
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return None
        method = call.func.attr.value
        receiver = call.func.value
        if method not in ("fit_transform", "fit_resample", "fit", "transform"):
            return None
        owner = dotted_name(receiver)
        if isinstance(receiver, cst.Call):
            kind = _step_kind(receiver, ctx.imports)
            owner = None
        else:
            kind = fitted_steps.get(owner or "")
        if kind is None:
            return None
        data = call.args[0].value if call.args else None
        if data is None:
            return None
        data_names = {n.value for n in iter_name_nodes(data)}
        if method == "transform":
            earlier = fitted_on.get(owner or "")
            return earlier if earlier is not None and not (data_names & split_parts) else None
        sees_y = len([a for a in call.args if a.keyword is None]) >= 2 or any(
            a.keyword is not None and a.keyword.value == "y" for a in call.args
        )
        fit = _Fit(shown(ctx, call), sees_y, kind == "resampler")
        if owner is not None and owner in fitted_on and data_names & test_parts:
            self.report(
                call,
                f"`{shown(ctx, call)}` fits again on the test part: transform it with the "
                "step fitted on the training part",
            )
            return None
        if data_names & split_parts:
            if owner is not None:
                fitted_on.setdefault(owner, _Fit("", False))
            return None
        if owner is not None:
            fitted_on[owner] = fit
        return fit if method != "fit" else None

    def _sink(
        self,
        call: cst.Call,
        leaked: dict[str, _Fit],
        splitters: set[str],
        searches: set[str],
    ) -> _Fit | None:
        if not leaked:
            return None
        ctx = self.context
        qualified = ctx.imports.qualified(call.func) or ""
        data: list[cst.BaseExpression] = []
        if qualified == "sklearn.model_selection.train_test_split":
            data = [a.value for a in call.args if a.keyword is None]
        elif qualified in _SPLITTERS:
            positional = [a.value for a in call.args if a.keyword is None]
            data = positional[1:2] + [
                a.value for a in call.args if a.keyword is not None and a.keyword.value == "X"
            ]
        elif isinstance(call.func, cst.Attribute) and call.args:
            receiver = call.func.value
            method = call.func.attr.value
            owner = dotted_name(receiver)
            owner_qualified = (
                ctx.imports.qualified(receiver.func) if isinstance(receiver, cst.Call) else None
            ) or ""
            if (
                method == "split"
                and (
                    owner in splitters
                    or (
                        owner_qualified.startswith("sklearn.model_selection.")
                        and owner_qualified.endswith(("Fold", "Split"))
                    )
                )
                or method == "fit"
                and (owner in searches or owner_qualified in _SEARCHES)
            ):
                data = [call.args[0].value]
        holdout = qualified == "sklearn.model_selection.train_test_split"
        for expr in data:
            for name in iter_name_nodes(expr):
                fit = leaked.get(name.value)
                # Cross-validation after an unsupervised scaler or decomposition leaks
                # only fold statistics: reported when the step saw the target or resampled.
                if fit is not None and (holdout or fit.sees_y or fit.resampled):
                    return fit
        return None


def _calls(value: cst.BaseExpression) -> list[cst.Call]:
    """``value`` itself when it is a call, and calls in a ``for`` over ``kf.split(X)``."""
    out: list[cst.Call] = []
    stack: list[cst.CSTNode] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Call):
            out.append(item)
        if not isinstance(item, cst.Lambda):
            stack.extend(children(item))
    return out
