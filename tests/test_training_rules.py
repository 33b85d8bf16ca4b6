"""Training and data-correctness rules (ML6xx): behaviour the per-rule fixtures cannot show."""

from __future__ import annotations

import json

import pytest

from mlint.notebook import lint_notebook
from mlint.testing import settings_for


def _notebook(*sources: str) -> str:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source.splitlines(keepends=True),
        }
        for source in sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _ml607(text: str) -> list[tuple[int | None, int]]:
    result = lint_notebook(text, "analysis.ipynb", settings_for("ML607"), "check")
    return [(d.cell, d.start.line) for d in result.diagnostics if d.code == "ML607"]


def test_last_expression_of_a_notebook_cell_is_a_display_not_a_discarded_result() -> None:
    text = _notebook(
        'import pandas as pd\ndf = pd.read_csv("train.csv")\n',
        "df.dropna()\n",  # displayed: the cell's only expression
        "df.fillna(0)\nprint(df.shape)\n",  # discarded: not the last statement
        "df.drop(columns=['id'])\n# a comment after it\n",  # displayed: comments do not count
        "df.reset_index();\n",  # a trailing `;` hides the display: discarded
    )
    assert _ml607(text) == [(3, 1), (5, 1)]


def test_the_same_code_as_a_script_reports_every_discarded_result() -> None:
    from mlint.engine import lint_source

    source = 'import pandas as pd\ndf = pd.read_csv("train.csv")\ndf.dropna()\n'
    diagnostics = lint_source(source, "clean.py", settings_for("ML607"))
    assert [(d.code, d.start.line) for d in diagnostics if d.code == "ML607"] == [("ML607", 3)]


# Shapes a name-based analyser mistakes for training bugs (issue 12): every ML6xx rule
# must stay silent on them, whatever the variables are called.
NEAR_MISSES = {
    "keras-without-torch": """
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam()
total, losses = 0.0, []
for x, y in dataset:
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    total += loss
    losses.append(loss)
    tf.tensor(loss)
""",
    "flax-eval-step": """
import jax
import optax


@jax.jit
def eval_step(state, batch):
    logits = state.apply_fn({"params": state.params}, batch["x"])
    return optax.softmax_cross_entropy_with_integer_labels(logits, batch["y"]).mean()


total = 0.0
for batch in loader:
    loss = eval_step(state, batch)
    total += loss
""",
    "hf-pipeline": """
import torch
from transformers import pipeline

clf = pipeline("sentiment-analysis")
scores = []
for text in texts:
    loss = clf(text)[0]["score"]
    scores.append(loss)
""",
    "accelerate": """
import torch
from accelerate import Accelerator

accelerator = Accelerator()
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
total_loss = 0.0
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        total_loss += loss.detach().float()
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
""",
    "lightning-training-step": """
import lightning as L
import torch.nn.functional as F


class Classifier(L.LightningModule):
    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def on_train_epoch_end(self):
        self.epoch_losses = []
""",
    "float-helpers-and-sklearn": """
import torch
from sklearn.metrics import log_loss


def train_step(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


history = []
for x, y in loader:
    loss = train_step(model, x, y, optimizer)
    history.append(loss)
    cv = log_loss(y, model.predict_proba(x))
    history.append(cv)
""",
}


@pytest.mark.parametrize("code", ["ML601", "ML602", "ML603", "ML604", "ML605", "ML606", "ML607"])
@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_training_rules_are_silent_on_name_based_near_misses(code: str, name: str) -> None:
    from mlint.engine import lint_source
    from mlint.rules import all_rules

    assert code in all_rules()
    diagnostics = lint_source(NEAR_MISSES[name], f"{name}.py", settings_for(code))
    assert [(d.start.line, d.message) for d in diagnostics if d.code == code] == []
