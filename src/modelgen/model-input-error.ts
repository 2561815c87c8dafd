/**
 * An input the user gave is unusable as it stands (a checkpoint that is truncated, incomplete or of another
 * architecture; an output directory that is already taken). The CLI reports it as one line and exit code 2,
 * like a bad flag: it is the user's to fix, not a fault of the program.
 */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
}
