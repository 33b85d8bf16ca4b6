// VS Code client for `mlint server` (LSP over stdio): Python files and notebook cells.
import * as vscode from "vscode";
import {
  CodeActionParams,
  CodeActionRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

const FIX_ALL_KIND = "source.fixAll.mlint";
let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;

/** The command that starts the server: `mlint.path`, else the workspace's Python interpreter. */
export async function serverCommand(
  config: vscode.WorkspaceConfiguration,
  resource?: vscode.Uri,
): Promise<{ command: string; args: string[] }> {
  const extra = config.get<string[]>("args", []);
  const path = config.get<string>("path", "").trim();
  if (path) {
    return { command: path, args: ["server", ...extra] };
  }
  return { command: await pythonInterpreter(resource), args: ["-m", "mlint", "server", ...extra] };
}

/** The interpreter the Python extension has selected, else `python.defaultInterpreterPath`. */
async function pythonInterpreter(resource?: vscode.Uri): Promise<string> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (python) {
    try {
      const api = python.isActive ? python.exports : await python.activate();
      const active = api?.environments?.getActiveEnvironmentPath?.(resource);
      if (active?.path) {
        return active.path as string;
      }
    } catch (error) {
      output.appendLine(`mlint: could not ask the Python extension for its interpreter: ${error}`);
    }
  }
  const fallback = vscode.workspace.getConfiguration("python", resource).get<string>("defaultInterpreterPath");
  return fallback && fallback !== "python" ? fallback : process.platform === "win32" ? "python" : "python3";
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("mlint");
  if (!config.get<boolean>("enable", true)) {
    output.appendLine("mlint: disabled (mlint.enable is false)");
    return;
  }
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const { command, args } = await serverCommand(config, resource);
  output.appendLine(`mlint: starting ${[command, ...args].join(" ")}`);
  const serverOptions: ServerOptions = {
    command,
    args,
    transport: TransportKind.stdio, // the client appends --stdio, which `mlint server` accepts
    options: { cwd: resource?.fsPath },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
      { notebook: "jupyter-notebook", language: "python" },
    ],
    outputChannel: output,
  };
  client = new LanguageClient("mlint", "mlint", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const hint = config.get<string>("path", "")
      ? "check the `mlint.path` setting"
      : "install it into the selected interpreter: pip install 'mlint[lsp]'";
    void vscode.window.showErrorMessage(`mlint: could not start \`${[command, ...args].join(" ")}\` (${hint}).`);
    output.appendLine(`mlint: start failed: ${error}`);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

/** Apply every safe fix to the active document (a file or a notebook cell). */
async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor) {
    return;
  }
  const document = editor.document;
  const params: CodeActionParams = {
    textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri) },
    range: client.code2ProtocolConverter.asRange(new vscode.Range(0, 0, document.lineCount, 0)),
    context: { diagnostics: [], only: [FIX_ALL_KIND] },
  };
  const actions = (await client.sendRequest(CodeActionRequest.type, params)) ?? [];
  for (const action of actions) {
    if ("edit" in action && action.edit) {
      const edit = await client.protocol2CodeConverter.asWorkspaceEdit(action.edit);
      await vscode.workspace.applyEdit(edit);
      return;
    }
  }
  void vscode.window.showInformationMessage("mlint: nothing to fix");
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("mlint", { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("mlint.fixAll", fixAll),
    vscode.commands.registerCommand("mlint.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("mlint")) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
