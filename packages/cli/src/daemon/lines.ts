/**
 * Newline-delimited framing (docs/JSONRPC.md, "Transport"): one JSON text per line, UTF-8. The size check comes
 * before buffering more: a line longer than `maxBytes` is reported once and the rest of the stream is ignored.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private buffered = '';
  private bytes = 0;
  private readonly decoder = new StringDecoder('utf8');
  private failed = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (!this.add(chunk.subarray(start, nl))) return;
      const line = this.buffered + this.decoder.end();
      this.buffered = '';
      this.bytes = 0;
      if (line.trim() !== '') this.onLine(line);
      start = nl + 1;
    }
    this.add(chunk.subarray(start));
  }

  private add(part: Buffer): boolean {
    this.bytes += part.length;
    if (this.bytes > this.maxBytes) {
      this.failed = true;
      this.buffered = '';
      this.onTooLong();
      return false;
    }
    this.buffered += this.decoder.write(part);
    return true;
  }
}
