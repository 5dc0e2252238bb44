#!/usr/bin/env -S node --max-semi-space-size=16
// The `flex` command. Node (>= 22.18) runs the TypeScript sources directly by stripping types.
import { main } from '../src/cli/main.ts'

process.exitCode = await main(process.argv.slice(2))
