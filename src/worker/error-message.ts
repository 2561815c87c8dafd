/** An error as it crosses to the main thread: its message on one line (ONNX Runtime's span several). */
export function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.trim().replace(/\s*\n\s*/g, ' ');
}
