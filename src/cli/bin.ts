import { main } from './main';

main(process.argv).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
