// Wall and CPU time of a piece of work. On a shared machine wall time alone
// lies (other processes take the cores), so every figure carries both: CPU
// time near wall time means the work had a core to itself.
import { readFileSync } from 'node:fs';

export interface Timing {
  wallMs: number;
  /** User + system CPU of this process (children excluded). */
  cpuMs: number;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; timing: Timing }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, timing: { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 } };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every common Linux). */
const USER_HZ = 100;

/**
 * CPU time, in ms, of this process's children that have exited and been
 * waited for (cutime + cstime of /proc/self/stat); null off Linux. The delta
 * around a child's run is that child's CPU time.
 */
export function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return Number.isFinite(cutime) && Number.isFinite(cstime) ? ((cutime + cstime) * 1000) / USER_HZ : null;
  } catch {
    return null;
  }
}

/** Peak resident set of this process (VmHWM of /proc/self/status), in bytes; null off Linux. */
export function peakRssBytes(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
