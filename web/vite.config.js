// Two apps from one build: the staff console at / (Element Plus) and the
// resident pages at /m/ (Vant). Components are imported on demand so each
// bundle only carries its own UI library.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { VantResolver } from '@vant/auto-import-resolver';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// In dev, deep links under /m/ must get the mobile page, not the console's.
function mobileHistoryFallback() {
  return {
    name: 'linli-mobile-fallback',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url || '';
        const isPage = (req.headers.accept || '').includes('text/html');
        if (isPage && url.startsWith('/m/') && !url.includes('.')) req.url = '/m/index.html';
        next();
      });
    },
  };
}

// Vant's icon font names a CDN copy after its inline woff2. Our CSP allows
// fonts only from 'self' and data:, so drop the remote fallback at build time.
function dropRemoteFonts() {
  const remote = /,\s*url\((["']?)(?:https?:)?\/\/at\.alicdn\.com\/[^)]*\1\)\s*format\([^)]*\)/g;
  return {
    name: 'linli-drop-remote-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/\.css($|\?)/.test(id) || !code.includes('alicdn')) return null;
      return { code: code.replace(remote, ''), map: null };
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    Components({
      dts: false,
      resolvers: [ElementPlusResolver({ importStyle: 'css' }), VantResolver()],
    }),
    mobileHistoryFallback(),
    dropRemoteFonts(),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    // Messages are compiled to an AST and interpreted (no eval), which the CSP needs.
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: {
        console: `${root}index.html`,
        mobile: `${root}m/index.html`,
      },
      output: {
        // Named vendor chunks: the phone pages share only Vue (+ router, i18n)
        // with the console, never a UI library.
        codeSplitting: {
          groups: [
            { name: 'vue', test: /node_modules[\\/](@vue|vue|vue-router|vue-i18n|@intlify)[\\/]/, priority: 3 },
            {
              name: 'element-plus',
              test: /node_modules[\\/](element-plus|@element-plus|@floating-ui|@popperjs|@sxzz|lodash|lodash-es|lodash-unified|dayjs|async-validator|@ctrl|@vueuse|memoize-one|normalize-wheel-es)[\\/]/,
              priority: 2,
            },
            { name: 'vant', test: /node_modules[\\/](vant|@vant)[\\/]/, priority: 2 },
          ],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});
