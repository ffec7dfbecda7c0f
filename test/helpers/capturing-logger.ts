/** A Temporal logger that keeps every entry, so a test can read what an activity logged (and check no key leaked). */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

export class CapturingLogger implements Logger {
  readonly entries: { level: LogLevel; message: string; meta?: LogMetadata }[] = [];
  log(level: LogLevel, message: string, meta?: LogMetadata) {
    this.entries.push({ level, message, meta });
  }
  trace = (m: string, meta?: LogMetadata) => this.log('TRACE', m, meta);
  debug = (m: string, meta?: LogMetadata) => this.log('DEBUG', m, meta);
  info = (m: string, meta?: LogMetadata) => this.log('INFO', m, meta);
  warn = (m: string, meta?: LogMetadata) => this.log('WARN', m, meta);
  error = (m: string, meta?: LogMetadata) => this.log('ERROR', m, meta);
  text(): string {
    return JSON.stringify(this.entries);
  }
}
