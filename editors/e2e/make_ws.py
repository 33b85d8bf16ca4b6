"""Write the e2e workspace: model.py (ML501 on line 16) and nb.ipynb (ML501 in cells 2 and 3).

Cell 2 uses cell 1's imports and class, so only a client that lints the cells together flags it.
Cell 3 stands alone and also holds an unused import, for pylsp's own pyflakes diagnostic.
"""

import json
import sys
from pathlib import Path

ws = Path(sys.argv[1])
ws.mkdir(parents=True, exist_ok=True)
(ws / "model.py").write_text(
    "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
    "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n"
    "        return self.fc(x)\n\n\ndef run(x):\n    net = Net()\n    return net.forward(x)\n"
)
cells = [
    (
        "import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n        return self.fc(x)"
    ),
    "net = Net()\ny = net.forward(torch.zeros(1, 4))",
    (
        "import os\nimport torch\nfrom torch import nn\nm = nn.Linear(4, 2)\n"
        "out = m.forward(torch.zeros(1, 4))"
    ),
]
notebook = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": text.splitlines(keepends=True),
        }
        for i, text in enumerate(cells, 1)
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
(ws / "nb.ipynb").write_text(json.dumps(notebook, indent=1))
