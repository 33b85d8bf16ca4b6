"""A small training script with the notebook habits mlint looks for."""

import time

import torch
from torch import nn

config = {"lr": 1e-3, "batch_size": 32, "epochs": 10}


class Net(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(x)


def evaluate(model, batches):
    model.eval()
    return [model(batch) for batch in batches]


def train(model, batches):
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    total_loss = 0.0
    for batch in batches:
        loss = model.forward(batch).sum()
        loss.backward()
        optimizer.step()
        total_loss += loss
        torch.cuda.empty_cache()
    return total_loss


if __name__ == "__main__":
    net = Net()
    start = time.perf_counter()
    train(net, [torch.zeros(4, 8)])
    print(evaluate(net, [torch.zeros(4, 8)]), time.perf_counter() - start)
