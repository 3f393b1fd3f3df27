/**
 * Host stdin to the guest UART. On a terminal, raw mode with QEMU's -nographic escape
 * sequences (Ctrl-A X quits, Ctrl-A H prints help, Ctrl-A Ctrl-A sends Ctrl-A); a pipe or
 * file is forwarded as is.
 */
import type { VirtBoard } from "../boards/virt/virt.js";

const CTRL_A = 0x01;

const ESCAPE_HELP = `\r
C-a h    print this help\r
C-a x    exit emulator\r
C-a C-a  sends C-a\r
`;

export interface ConsoleHandle {
  /** False once stdin has ended (no more input can ever arrive). */
  readonly inputOpen: boolean;
  detach(): void;
}

export function attachConsole(board: VirtBoard, onQuit: () => void, flushOutput: () => void): ConsoleHandle {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let open = true;
  let escape = false;
  const onData = (chunk: Buffer) => {
    if (!tty) { board.input(chunk); return; }
    const forward: number[] = [];
    for (const b of chunk) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) { flushOutput(); process.stderr.write("QEMU: Terminated\r\n"); onQuit(); return; }
        if (b === 0x68 || b === 0x48) { process.stderr.write(ESCAPE_HELP); continue; }
        if (b === CTRL_A) { forward.push(CTRL_A); continue; }
        forward.push(b);
        continue;
      }
      if (b === CTRL_A) { escape = true; continue; }
      forward.push(b);
    }
    if (forward.length) board.input(forward);
  };
  const onEnd = () => { open = false; };
  if (tty) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.on("error", onEnd);
  stdin.resume();
  return {
    get inputOpen() { return open; },
    detach() {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
    },
  };
}
