/**
 * `durable-codex-agents doctor` (`npm run doctor`): checks what a run needs, one line each, and exits 1 when something a run needs is wrong.
 * Temporal (address, namespace, TLS/API key from envconfig), the model endpoint and key, the agent and Codex model
 * names, the Codex binary, the workspace root, this host's id and remote against the other workers on the task queue
 * (src/runtime/host-checks.ts); Chromium only as a note (the browser test needs it, runs do not).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { codexBinaryPath, loadSettings, type CodexTransportName, type Settings } from '../config/settings';
import { clientConnectConfig, connectClient, describeTemporalTarget } from '../config/temporal-connection';
import { defaultHost } from '../activities';
import { hostQueueConflict, livePollers, localRemoteWarning, remoteOnOwnDisk } from '../runtime/host-checks';
import { HOST_ID_FILE } from '../runtime/host';
import { checkModel, type ModelCheck } from '../runtime/model-check';
import { startScriptedModel, type ScriptedModel } from '../scripted-model';
import { errorChainText } from '../temporal/reachability';
import { defaultRemote, displayRemote } from '../activities/git-workspace';
import { flag, type CliCommand } from './command';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check what a run needs (Temporal, model, Codex, workspace root, host), one line each',
  declare: (cmd) => cmd.option('--json', 'print the checks as JSON'),
  action: ({ options }) => checkAndPrint(process.env, flag(options, 'json')),
  // A doctor that cannot even check says so like a failed check.
  failureCode: 1,
  describeError: errorChainText,
};

const run = promisify(execFile);

type Verdict = 'ok' | 'FAIL' | 'note';
export interface Line {
  verdict: Verdict;
  what: string;
  detail: string;
}

const print = (l: Line) => console.log(`${l.verdict.padEnd(4)}  ${l.what.padEnd(16)} ${l.detail}`);

async function temporal(env: NodeJS.ProcessEnv): Promise<Line> {
  const what = 'Temporal';
  try {
    const target = describeTemporalTarget(clientConnectConfig({ env }));
    const { connection, namespace } = await connectClient({ env });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return { verdict: 'ok', what, detail: `${target} reachable, namespace exists` };
    } catch (err) {
      return { verdict: 'FAIL', what, detail: `${target} reachable, but namespace: ${errorChainText(err)}` };
    } finally {
      await connection.close();
    }
  } catch (err) {
    return { verdict: 'FAIL', what, detail: errorChainText(err) };
  }
}

function modelLine(what: string, check: ModelCheck): Line {
  const verdict: Verdict = check.status === 'ok' ? 'ok' : check.status === 'inconclusive' ? 'note' : 'FAIL';
  return { verdict, what, detail: check.detail };
}

/** The binary of the chosen transport: 0.153.4 for mcp-server, the app-server alias's pinned version otherwise. */
async function codexBinary(transport: CodexTransportName): Promise<Line> {
  const what = 'Codex binary';
  const name = transport === 'mcp' ? 'mcp-server' : 'app-server';
  try {
    const bin = codexBinaryPath(transport);
    const { stdout } = await run(process.execPath, [bin, '--version'], { timeout: 20_000 });
    const pkg = path.join(path.dirname(path.dirname(bin)), 'package.json');
    const pinned = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
    const version = stdout.trim();
    const verdict: Verdict = version.includes(pinned) ? 'ok' : 'FAIL';
    return {
      verdict,
      what,
      detail: `${version} (pinned ${pinned}, transport ${name}; CODEX_TRANSPORT=${transport}) at ${bin}`,
    };
  } catch (err) {
    return { verdict: 'FAIL', what, detail: `cannot run codex: ${errorChainText(err)}; run npm ci` };
  }
}

function workspaceRoot(settings: Settings): Line {
  const what = 'Workspace root';
  const root = settings.workspaceRoot;
  try {
    mkdirSync(root, { recursive: true });
    const probe = path.join(root, `.doctor-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return { verdict: 'ok', what, detail: `${root} is writable` };
  } catch (err) {
    return { verdict: 'FAIL', what, detail: `${root} is not writable: ${errorChainText(err)} (set WORKSPACE_ROOT)` };
  }
}

/**
 * This worker's host and disk ids, and its remote, against the workers on the task queue: a host queue served from
 * another disk, or a remote on this disk while another host serves the queue, is one FAIL line each.
 */
async function hostLines(env: NodeJS.ProcessEnv, settings: Settings): Promise<Line[]> {
  let id: ReturnType<typeof defaultHost>;
  try {
    id = defaultHost(settings);
  } catch (err) {
    return [{ verdict: 'FAIL', what: 'Host', detail: errorChainText(err) }];
  }
  const self = { ...id, workspaceRoot: settings.workspaceRoot, remote: settings.workspaceRemote };
  let conflict: string | undefined;
  let warning: string | undefined;
  try {
    const { connection, namespace } = await connectClient({ env });
    try {
      const service = connection.workflowService;
      const [onHost, onShared] = await Promise.all([
        livePollers(service, namespace, id.hostQueue, 'activity'),
        livePollers(service, namespace, settings.taskQueue, 'activity'),
      ]);
      conflict = hostQueueConflict(id, id.hostQueue, onHost);
      warning = localRemoteWarning({ ...self, taskQueue: settings.taskQueue }, onShared);
    } finally {
      await connection.close();
    }
  } catch {
    // Temporal's own line says why it cannot be asked; the ids and the remote are still worth a line.
  }
  const from = settings.hostId
    ? 'WORKER_HOST_ID'
    : `the disk's id in ${path.join(settings.workspaceRoot, HOST_ID_FILE)}`;
  const remote = settings.workspaceRemote
    ? displayRemote(settings.workspaceRemote)
    : defaultRemote(settings.workspaceRoot);
  return [
    conflict
      ? { verdict: 'FAIL', what: 'Host', detail: conflict }
      : { verdict: 'ok', what: 'Host', detail: `${id.host} (${from}; disk ${id.disk}), own queue "${id.hostQueue}"` },
    warning
      ? { verdict: 'FAIL', what: 'Workspace remote', detail: warning }
      : {
          verdict: 'ok',
          what: 'Workspace remote',
          detail: remoteOnOwnDisk(settings.workspaceRoot, settings.workspaceRemote)
            ? `${remote}, on this host's disk: fine while it is the only host (several need one they all reach)`
            : remote,
        },
  ];
}

/** Codex 0.153.4 switches its sandbox to a system bubblewrap, which cannot write a workspace under /tmp (measured). */
function codexSandbox(env: NodeJS.ProcessEnv, settings: Settings): Line | undefined {
  const bwrap = onPath(env, ['bwrap']);
  if (!bwrap) return undefined;
  const tmp = path.resolve(os.tmpdir());
  const underTmp = settings.workspaceRoot === tmp || settings.workspaceRoot.startsWith(`${tmp}${path.sep}`);
  return underTmp
    ? {
        verdict: 'FAIL',
        what: 'Codex sandbox',
        detail: `${bwrap} is on PATH, so Codex sandboxes with it, and then cannot write workspaces under ${tmp}: move WORKSPACE_ROOT`,
      }
    : { verdict: 'note', what: 'Codex sandbox', detail: `bubblewrap (${bwrap}): keep workspaces out of ${tmp}` };
}

function onPath(env: NodeJS.ProcessEnv, names: string[]): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not there, or not executable: keep looking
      }
    }
  }
  return undefined;
}

function chromium(env: NodeJS.ProcessEnv): Line {
  const what = 'Chromium';
  const file = onPath(env, ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']);
  return file
    ? { verdict: 'ok', what, detail: `${file} (only the Web UI browser test needs it)` }
    : { verdict: 'note', what, detail: 'not found: only the Web UI browser test needs it (apt install chromium)' };
}

export async function doctor(env: NodeJS.ProcessEnv): Promise<Line[]> {
  const lines: Line[] = [];
  let scripted: ScriptedModel | undefined;
  try {
    let scriptedBaseUrl = env.SCRIPTED_MODEL_URL || undefined;
    // Without a key the worker starts the scripted model; so does the doctor, to check the model names the same way.
    if (!env.OPENAI_API_KEY && !scriptedBaseUrl) {
      scripted = await startScriptedModel();
      scriptedBaseUrl = scripted.baseUrl;
    }
    let settings: Settings;
    try {
      settings = loadSettings(env, { scriptedBaseUrl });
    } catch (err) {
      lines.push({ verdict: 'FAIL', what: 'Settings', detail: errorChainText(err) });
      return lines;
    }
    lines.push(await temporal(env));
    const m = settings.model;
    lines.push({
      verdict: 'ok',
      what: 'Model endpoint',
      detail: m.scripted
        ? `${scripted ? 'the scripted model the worker starts' : `scripted model at ${m.baseUrl ?? ''}`} (no OPENAI_API_KEY: offline, not a real LLM)`
        : `${m.baseUrl ?? 'https://api.openai.com/v1'} with OPENAI_API_KEY (${m.apiKey.length} characters)`,
    });
    const agent = await checkModel(m, m.defaultModel);
    lines.push(modelLine('Agent model', agent));
    // An unreachable endpoint or a bad key was already said; the Codex model line would only repeat it.
    if (settings.codex.model && (agent.status === 'ok' || agent.status === 'unknown-model')) {
      lines.push(modelLine('Codex model', await checkModel(m, settings.codex.model)));
    } else if (!settings.codex.model) {
      lines.push({ verdict: 'ok', what: 'Codex model', detail: "Codex's default (set CODEX_MODEL to choose)" });
    }
    lines.push(await codexBinary(settings.codex.transport));
    lines.push(workspaceRoot(settings));
    lines.push(...(await hostLines(env, settings)));
    const sandbox = codexSandbox(env, settings);
    if (sandbox) lines.push(sandbox);
    lines.push(chromium(env));
    return lines;
  } finally {
    await scripted?.close();
  }
}

/** Prints the checks; 1 when one of them failed. */
export async function checkAndPrint(env: NodeJS.ProcessEnv, json: boolean): Promise<number> {
  const lines = await doctor(env);
  const failed = lines.filter((l) => l.verdict === 'FAIL').length;
  if (json) console.log(JSON.stringify({ ok: failed === 0, checks: lines }));
  else {
    lines.forEach(print);
    console.log(failed === 0 ? 'Ready to run.' : `${failed} problem(s): fix the FAIL lines above.`);
  }
  return failed === 0 ? 0 : 1;
}
