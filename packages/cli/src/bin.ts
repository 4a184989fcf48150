#!/usr/bin/env node
import { createRequire } from 'node:module';
import { runCli } from './cli.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const result = await runCli(process.argv.slice(2), version);
if (result.stdout) process.stdout.write(`${result.stdout}\n`);
if (result.stderr) process.stderr.write(`${result.stderr}\n`);
process.exitCode = result.code;
