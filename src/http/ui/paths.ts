// Where the status pages live, on the gateway and on every data node alike (docs/ui.md).

/** The self-contained HTML page. */
export const UI_PAGE_PATH = '/ui';
/** The JSON the page polls once a second; its shape is documented in docs/ui.md. */
export const UI_DATA_PATH = '/monitor/ui.json';
