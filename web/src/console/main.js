import { createApp } from 'vue';
import { ElLoading } from 'element-plus';
import 'element-plus/es/components/loading/style/css';
import 'element-plus/es/components/base/style/css';
import App from './App.vue';
import { router } from './router.js';
import { i18n } from '@/i18n/index.js';
import './console.css';

const app = createApp(App);
app.use(i18n);
app.use(router);
app.use(ElLoading); // the v-loading directive is not picked up by the component resolver
app.mount('#app');
