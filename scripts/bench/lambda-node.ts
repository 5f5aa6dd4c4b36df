// The Node.js major that Lambda runs the functions on (serverless.yml provider.runtime), for
// timing cold starts as deployed: this machine's node when it is that major, otherwise the Linux
// build the npm registry publishes as node-linux-<arch>, fetched once into node_modules/.cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack.js';

export type LambdaNode = { path: string; version: string } | { unavailable: string };

export function lambdaNodeMajor(): number {
  const match = /^\s*runtime:\s*nodejs(\d+)\.x\s*$/m.exec(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'));
  if (!match) throw new Error('serverless.yml names no nodejsNN.x runtime');
  return Number(match[1]);
}

export function lambdaNode(): LambdaNode {
  const major = lambdaNodeMajor();
  if (process.versions.node.split('.')[0] === String(major)) return { path: process.execPath, version: process.version };
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    return { unavailable: `the npm registry has no Node ${major} build for ${process.platform}-${process.arch}` };
  }
  const pkg = `node-linux-${process.arch}@${major}`;
  const dir = join(ROOT, 'node_modules', '.cache', `points-node${major}-${process.arch}`);
  const bin = join(dir, 'package', 'bin', 'node');
  try {
    if (!existsSync(bin)) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const tarball = execFileSync('npm', ['pack', pkg, '--pack-destination', dir, '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').at(-1)!;
      execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir]);
      rmSync(join(dir, tarball));
    }
    return { path: bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() };
  } catch (error) {
    return { unavailable: `${pkg} could not be fetched or run: ${(error as Error).message.split('\n')[0]}` };
  }
}
