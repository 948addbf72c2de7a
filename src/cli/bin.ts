// The `kamaitachi` executable: everything else is in main.ts and the roles.
import { exitCodeOf } from '../shared/errors';
import { main } from './main';

main(process.argv).catch((err: unknown) => {
  console.error(err);
  process.exit(exitCodeOf(err));
});
