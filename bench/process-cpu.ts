import { readFileSync } from 'node:fs'

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux only; undefined
 * elsewhere or when the process is gone). /proc counts in USER_HZ ticks, 100 a second on Linux.
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}
