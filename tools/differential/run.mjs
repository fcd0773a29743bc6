// The differential runner: statemachine/pipeline.asl.json executed by aws-local-stepfunctions
// (an independent implementation of the States Language), its Task states answered by the same
// handlers as the Rust runner through one `hushhub invoke --serve` child.
//
//   node_modules/.bin/node run.mjs --hushhub target/debug/hushhub [--limit N] \
//     [--definition FILE] EVENTS.jsonl [-- <hushhub invoke options: --state, --outbox, --ecr-images ...>]
//
// Prints one JSON line per event, {"event_id", "output"} with the execution's output (the Map's
// array, one item per finding), or {"event_id", "failed": {"error", "cause"}}; and a last line
// {"stats": {"node", "events", "task_calls": {function: n}}}. Needs Node >= 22: on Node 20 the
// package fails every Task (Promise.withResolvers), so this refuses to run there.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { StateMachine } from 'aws-local-stepfunctions';

const MAJOR = Number(process.versions.node.split('.')[0]);
if (MAJOR < 22) {
  console.error(`differential: Node ${process.versions.node} is too old; aws-local-stepfunctions needs >= 22 (use tools/differential/node_modules/.bin/node)`);
  process.exit(2);
}

// The Task resource placeholders and the functions that answer them (as in crates/local/src/replay.rs).
const FUNCTIONS = {
  '${check_seen_function_arn}': 'check-seen',
  '${age_check_function_arn}': 'age-check',
  '${score_and_summarise_function_arn}': 'score-and-summarise',
  '${render_html_email_function_arn}': 'render-html-email',
};

function parseArgs(argv) {
  const here = dirname(fileURLToPath(import.meta.url));
  const args = {
    hushhub: 'hushhub',
    definition: resolve(here, '../../statemachine/pipeline.asl.json'),
    limit: Infinity,
    events: null,
    invokeArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.invokeArgs = argv.slice(i + 1);
      break;
    } else if (a === '--hushhub') args.hushhub = argv[++i];
    else if (a === '--definition') args.definition = argv[++i];
    else if (a === '--limit') args.limit = Number(argv[++i]);
    else if (!args.events) args.events = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.events) throw new Error('usage: run.mjs [--hushhub BIN] [--limit N] [--definition FILE] EVENTS.jsonl [-- invoke options]');
  return args;
}

// Every Task state (also inside Map and Parallel) with the function its Resource names; the
// placeholders become Lambda ARNs so that the package validates the definition as it is.
//
// One rewrite works around a bug of aws-local-stepfunctions 3.0.0: `"ResultPath": "$"` must
// replace the whole input with the result (States Language spec, and what AWS does; it is the
// same as leaving ResultPath out), but the package strips "$." from the path, finds no "$." in
// "$", and stores the result under a key named "$" beside the input. Dropping the field keeps
// the meaning and sidesteps the bug; the rewritten states are reported on stderr.
function prepare(definition) {
  const tasks = {};
  const retrying = [];
  const walk = (machine) => {
    for (const [name, state] of Object.entries(machine.States)) {
      if (state.ResultPath === '$') {
        delete state.ResultPath;
        console.error(`differential: ${name}: "ResultPath": "$" dropped (same meaning; works around aws-local-stepfunctions 3.0.0)`);
      }
      for (const catcher of state.Catch ?? []) {
        if (catcher.ResultPath === '$') delete catcher.ResultPath;
      }
      if (state.Type === 'Task') {
        const fn = FUNCTIONS[state.Resource];
        if (!fn) throw new Error(`Task state ${name}: no local function answers ${state.Resource}`);
        if (tasks[name] && tasks[name] !== fn) throw new Error(`two Task states named ${name}`);
        tasks[name] = fn;
        state.Resource = `arn:aws:lambda:us-east-1:123456789012:function:hushhub-${fn}`;
      }
      if (state.Retry) retrying.push(name);
      for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
        if (inner) walk(inner);
      }
    }
  };
  walk(definition);
  return { tasks, retrying };
}

// One `hushhub invoke --serve` child; requests carry an id, so concurrent Map iterations are fine.
function startHushhub(bin, invokeArgs) {
  const child = spawn(bin, ['invoke', '--serve', ...invokeArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pending = new Map();
  let next = 0;
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = `hushhub invoke --serve exited (${code ?? signal})`;
    for (const { reject } of pending.values()) reject(new Error(exited));
    pending.clear();
  });
  child.on('error', (e) => {
    exited = `cannot run ${bin}: ${e.message}`;
    for (const { reject } of pending.values()) reject(new Error(exited));
    pending.clear();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const response = JSON.parse(line);
    const waiter = pending.get(response.id);
    if (!waiter) throw new Error(`hushhub answered an unknown request: ${line.slice(0, 200)}`);
    pending.delete(response.id);
    waiter.resolve(response);
  });
  const call = (fn, input, now) => {
    if (exited) return Promise.reject(new Error(exited));
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, function: fn, input, now })}\n`);
    });
  };
  const close = () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.on('exit', resolve);
      child.stdin.end();
    });
  return { call, close };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const definition = JSON.parse(readFileSync(args.definition, 'utf8'));
  const { tasks, retrying } = prepare(definition);
  const machine = new StateMachine(definition);
  const hushhub = startHushhub(args.hushhub, args.invokeArgs);

  const taskCalls = Object.fromEntries(Object.values(FUNCTIONS).map((f) => [f, 0]));
  let now = null;
  // A handler error becomes the Lambda error Step Functions sees: Error is the errorType,
  // Cause the {"errorMessage","errorType"} text.
  const handler = (fn) => async (input) => {
    taskCalls[fn]++;
    const response = await hushhub.call(fn, input, now);
    if ('output' in response) return response.output;
    const error = new Error(response.cause);
    error.name = response.error;
    throw error;
  };
  const overrides = {
    taskResourceLocalHandlers: Object.fromEntries(Object.entries(tasks).map(([name, fn]) => [name, handler(fn)])),
    // Retries answer at once: the Rust runner does not sleep either.
    retryIntervalOverrides: Object.fromEntries(retrying.map((name) => [name, 0])),
  };

  const lines = readFileSync(args.events, 'utf8').split('\n').filter((l) => l.trim() !== '');
  let events = 0;
  const runId = `${Date.now().toString(16)}-${process.pid.toString(16)}`;
  const out = [];
  for (const line of lines.slice(0, args.limit)) {
    events++;
    let event;
    try {
      event = JSON.parse(line);
    } catch (e) {
      out.push({ event_id: '', failed: { error: 'Hushhub.InvalidEvent', cause: e.message } });
      continue;
    }
    // The clock is the event's time, as in `hushhub replay`.
    now = typeof event.time === 'string' ? event.time : now;
    try {
      // Each execution its own id, as AWS gives it: claims carry it (their token), so two
      // executions of one event must never share one.
      const context = {
        Execution: {
          Id: `arn:aws:states:local:000000000000:execution:hushhub-differential:${runId}-${events}`,
          Input: event,
          StartTime: new Date().toISOString(),
        },
      };
      const execution = machine.run(event, { overrides, context });
      out.push({ event_id: event.id ?? '', output: await execution.result });
    } catch (e) {
      const failure = e.cause instanceof Error ? e.cause : e;
      out.push({ event_id: event.id ?? '', failed: { error: failure.name, cause: failure.message } });
    }
    if (out.length >= 200) {
      process.stdout.write(out.map((o) => `${JSON.stringify(o)}\n`).join(''));
      out.length = 0;
    }
  }
  await hushhub.close();
  out.push({ stats: { node: process.versions.node, events, task_calls: taskCalls } });
  process.stdout.write(out.map((o) => `${JSON.stringify(o)}\n`).join(''));
}

main().catch((e) => {
  console.error(`differential: ${e.stack ?? e}`);
  process.exit(1);
});
