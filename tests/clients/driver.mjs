// The line protocol between a pytest test and its node driver script
// (tests/clients/conftest.py: NodeDriver): the driver reports one JSON
// object per stdout line and waits for commands, one JSON object per stdin
// line ({"command": NAME, ...}).

import { createInterface } from "node:readline";

// A time limit scaled like the Python side's (SKILLSTREAM_TEST_TIMEOUT_SCALE).
export function scaledMs(ms) {
  return ms * Number(process.env.SKILLSTREAM_TEST_TIMEOUT_SCALE || "1");
}

export const report = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// Wait for the test's next command; it must be `name`.
export async function command(name) {
  const { value, done } = await commands.next();
  if (done) throw new Error(`stdin closed while waiting for command ${name}`);
  const message = JSON.parse(value);
  if (message.command !== name) throw new Error(`expected command ${name}, got ${value}`);
  return message;
}
