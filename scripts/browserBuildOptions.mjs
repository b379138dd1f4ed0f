// The esbuild options every browser build shares (the gendice bundle and the lab page): one minified ES
// module for current browsers, licences kept at the end.
export const browserBuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
};
