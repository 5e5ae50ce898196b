import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * Schemas use zod/mini, imported as `import * as z from 'zod/mini'` in each module: the classic `zod`
 * import bundles every method and locale (about 450 KB minified), zod/mini only what is used. zod/mini
 * carries no messages of its own, so English ones are installed here, once, by the modules that parse.
 */
config(en());
