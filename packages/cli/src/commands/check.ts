/**
 * `mpvisor check <file.ir.json…>`: decode and validate IR files, as a target
 * or the registry would before loading them.
 */
import { readFileSync } from 'node:fs';
import { either } from 'fp-ts';
import { digestOf, formatIssue, parseIR } from '@mpvisor/mpapi';
import type { CommandResult } from './command.js';

export function check(files: readonly string[]): CommandResult {
  const out: string[] = [];
  const err: string[] = [];
  if (files.length === 0) return { code: 2, stdout: '', stderr: 'mpvisor check: name at least one IR file' };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      err.push(`${file}: cannot read: ${(e as Error).message}`);
      continue;
    }
    const result = parseIR(text, file);
    if (either.isLeft(result)) {
      err.push(`${file}: ${result.left.length} problem${result.left.length === 1 ? '' : 's'}`);
      for (const issue of result.left) err.push(`  - ${formatIssue(issue)}`);
    } else {
      out.push(`${file}: ok, ${result.right.kind} "${result.right.name}" ${digestOf(result.right)}`);
    }
  }
  return { code: err.length > 0 ? 1 : 0, stdout: out.join('\n'), stderr: err.join('\n') };
}
