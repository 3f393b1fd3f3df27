/** A problem with a file the user gave us (reported as one line, exit status 2, by the CLI). */
export class LoadError extends Error {
  override readonly name = "LoadError";
}
