// Renderer entry: Vue + Pinia; the app shell mounts, then asks the engine who it is.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import './styles.css';

const app = createApp(App);
app.use(createPinia());
// A render error must never leave a blank window: App.vue shows it with a reload button.
app.config.errorHandler = (err, _instance, where) => {
  console.error(`[twinforge] ${where}:`, err);
  window.dispatchEvent(new CustomEvent('twinforge:fatal', { detail: err }));
};
app.mount('#app');
