"""ML608-ML613 and ML701-ML703 stay silent on the shapes that fooled torch-preflight."""

from __future__ import annotations

import pytest

from mlint.engine import lint_source
from mlint.testing import settings_for

PACK = ("ML608", "ML609", "ML610", "ML611", "ML612", "ML613", "ML701", "ML702", "ML703")

KERAS = """
import numpy as np
import tensorflow as tf
from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(10), keras.layers.Softmax()])
model.compile(loss=keras.losses.CategoricalCrossentropy(), optimizer="adam")
weights = tf.Variable(tf.zeros(3))
for epoch in range(3):
    with tf.GradientTape() as tape:
        loss = keras.losses.binary_crossentropy(y, tf.sigmoid(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    if epoch % 2 == 0:
        model.evaluate(x, y)


class Batches(keras.utils.Sequence):
    def __getitem__(self, i):
        return tf.constant(i)


restored = keras.models.load_model(model_path)
arrays = np.load(data_path)
"""

FLAX = """
import jax
import optax
from flax.training import train_state


@jax.jit
def eval_step(state, batch):
    logits = state.apply_fn({"params": state.params}, batch["x"])
    probs = jax.nn.softmax(logits)
    return optax.softmax_cross_entropy(logits, batch["y"]).mean(), probs


def train(state, batches):
    for i, batch in enumerate(batches):
        grads = jax.grad(lambda p: loss_fn(p, batch))(state.params)
        if i % 4 == 0:
            state = state.apply_gradients(grads=grads)
"""

HF_AND_TRAINERS = """
import torch
from accelerate import Accelerator
from lightning import LightningModule
from transformers import pipeline


class Classifier(LightningModule):
    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.model(x), y)

    def validation_step(self, batch, batch_idx):
        self.model.eval()
        return self.model(batch[0])


def run(model, loader, optimizer, texts):
    accelerator = Accelerator(gradient_accumulation_steps=8)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    for step, (x, y) in enumerate(loader):
        with accelerator.accumulate(model):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad()
    classify = pipeline("sentiment-analysis")
    return [classify(t) for t in texts], torch.load("weights/model.pt", weights_only=True)
"""


@pytest.mark.parametrize("source", [KERAS, FLAX, HF_AND_TRAINERS], ids=["keras", "flax", "hf"])
def test_pack_is_silent(source: str) -> None:
    diagnostics = lint_source(source, "near_miss.py", settings_for("ML608"))
    assert [(d.code, d.start.line) for d in diagnostics if d.code in PACK] == []
