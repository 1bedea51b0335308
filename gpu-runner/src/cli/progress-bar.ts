/** A one-line progress bar on stderr (only when it is a TTY; otherwise a line every 10%). */
export function progressBar(label: string): (done: number, total: number, extra?: string) => void {
  let lastDecile = -1;
  return (done, total, extra = '') => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${extra}   `,
      );
      if (frac === 1) process.stderr.write('\n');
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label} ${(frac * 100).toFixed(0)}% ${extra}\n`);
      }
    }
  };
}
