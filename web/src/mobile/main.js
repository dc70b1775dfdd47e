import { createApp, watch } from 'vue';
import { Locale } from 'vant';
import zhCN from 'vant/es/locale/lang/zh-CN';
import enUS from 'vant/es/locale/lang/en-US';
// Function-style Vant components (toast, dialog) are not seen by the resolver.
import 'vant/es/toast/style';
import 'vant/es/dialog/style';
import 'vant/es/image-preview/style';
import App from './App.vue';
import { router } from './router.js';
import { i18n } from '@/i18n/index.js';
import { applyLargeText } from './largeText.js';
import './mobile.css';

applyLargeText();

// Vant's built-in words (dialog buttons, pull-to-refresh) follow our language.
const vantLocale = (l) => (l === 'en' ? Locale.use('en-US', enUS) : Locale.use('zh-CN', zhCN));
vantLocale(i18n.global.locale.value);
watch(i18n.global.locale, vantLocale);

createApp(App).use(i18n).use(router).mount('#app');
