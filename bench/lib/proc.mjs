// Child processes under watch: peak RSS (the kernel's VmHWM) and CPU time (utime + stime) read
// from /proc/<pid> every `sampleMs`, bounded by a hard timeout. Linux only (this is a Linux bench).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICK = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** every child the bench started and that is still running, so Ctrl-C can end them */
const live = new Set();

/** Registers a child process so that killAll() ends it (it leaves the set when it exits). */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running (on Ctrl-C). */
export function killAll() {
  for (const c of live) c.kill('SIGKILL');
}

/** { rssKb, hwmKb } from /proc/<pid>/status, or undefined when the process is gone. */
export function readMemory(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    const rss = /VmRSS:\s+(\d+) kB/.exec(s);
    if (!hwm || !rss) return undefined;
    return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of a process from /proc/<pid>/stat, or undefined when gone. */
export function readCpuSeconds(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name in parentheses (which may contain spaces)
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/**
 * Spawns a command and watches it. Returns { child, done } where done resolves to
 * { code, signal, wallMs, peakRssMb, cpuSeconds, stdout, stderr, timedOut }.
 * stdout/stderr are kept up to `keep` bytes each (the tail), unless `onStdout` takes them.
 */
export function watched(cmd, args, { timeoutMs = 600_000, sampleMs = 100, env, cwd, stdin = 'ignore', keep = 1 << 20, onStdout, onStderr } = {}) {
  const t0 = performance.now();
  const child = track(spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], env, cwd }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    if (onStdout) onStdout(d);
    else stdout = (stdout + d.toString()).slice(-keep);
  });
  child.stderr.on('data', (d) => {
    if (onStderr) onStderr(d);
    stderr = (stderr + d.toString()).slice(-keep);
  });
  let hwmKb = 0;
  let cpu = 0;
  const sample = () => {
    const m = readMemory(child.pid);
    if (m) hwmKb = Math.max(hwmKb, m.hwmKb);
    const c = readCpuSeconds(child.pid);
    if (c !== undefined) cpu = Math.max(cpu, c);
  };
  const sampler = setInterval(sample, sampleMs);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise((resolve) => {
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(killer);
      resolve({ code, signal, timedOut, wallMs: performance.now() - t0, peakRssMb: hwmKb / 1024, cpuSeconds: cpu, stdout, stderr });
    });
  });
  // first sample as soon as the process exists
  setImmediate(sample);
  return { child, done };
}

/** pid → parent pid of every process, from /proc/<pid>/stat (a snapshot). */
function parents() {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The pids of `pid`'s descendants (children, their children, …), right now. */
export function descendants(pid) {
  const ppid = parents();
  const out = [];
  const want = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of ppid) {
      if (want.has(pp) && !want.has(p)) {
        want.add(p);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * Watches a process and its descendants (elf send --workers: the parent and its workers) while
 * `done` is pending: per process its peak RSS (VmHWM) and CPU seconds, and the peak of the sum of
 * their RSS at one moment. Returns { stop(): { processes: [{ pid, role, peakRssMb, cpuSeconds }],
 * peakTotalRssMb, cpuSeconds } }; the root is 'parent', the others 'child'.
 */
export function watchTree(pid, { sampleMs = 250 } = {}) {
  const seen = new Map();
  let peakTotalKb = 0;
  const sample = () => {
    let total = 0;
    for (const p of [pid, ...descendants(pid)]) {
      const m = readMemory(p);
      const c = readCpuSeconds(p);
      if (!m) continue;
      const row = seen.get(p) ?? { pid: p, role: p === pid ? 'parent' : 'child', hwmKb: 0, cpuSeconds: 0 };
      row.hwmKb = Math.max(row.hwmKb, m.hwmKb);
      if (c !== undefined) row.cpuSeconds = Math.max(row.cpuSeconds, c);
      seen.set(p, row);
      total += m.rssKb;
    }
    peakTotalKb = Math.max(peakTotalKb, total);
  };
  const timer = setInterval(sample, sampleMs);
  setImmediate(sample);
  return {
    stop() {
      clearInterval(timer);
      const processes = [...seen.values()].map((r) => ({ pid: r.pid, role: r.role, peakRssMb: r.hwmKb / 1024, cpuSeconds: r.cpuSeconds }));
      return { processes, peakTotalRssMb: peakTotalKb / 1024, cpuSeconds: processes.reduce((a, r) => a + r.cpuSeconds, 0) };
    },
  };
}
