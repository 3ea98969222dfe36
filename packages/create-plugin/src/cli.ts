import { parseArgs } from 'node:util';
import { scaffold } from './scaffold.js';

const USAGE = `Usage: create-webcasa-plugin <dir> [--id <id>] [--name <name>] [--package <npm name>] [--description <text>]

Scaffolds a Web.Casa plugin in <dir>. Then: cd <dir> && npm install && npm test && npm run build`;

/** The CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        package: { type: 'string' },
        description: { type: 'string' },
        author: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  try {
    const files = scaffold({
      dir: positionals[0]!,
      id: values.id as string | undefined,
      name: values.name as string | undefined,
      packageName: values.package as string | undefined,
      description: values.description as string | undefined,
      author: values.author as string | undefined,
    });
    process.stdout.write(
      `Created ${files.length} files in ${positionals[0]}.\n\nNext:\n  cd ${positionals[0]}\n  npm install\n  npm test\n  npm run build\n  npm publish\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`create-webcasa-plugin: ${(error as Error).message}\n`);
    return 1;
  }
}
