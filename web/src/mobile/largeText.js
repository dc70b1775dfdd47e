// 大字模式 for elderly residents. Vant sizes are re-expressed in rem (mobile.css),
// so changing the root font size scales text, cells and buttons together.
import { ref } from 'vue';

const KEY = 'linli.largeText';
const NORMAL_PX = 16;
const LARGE_PX = 20;

function stored() {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export const largeText = ref(stored());

export function applyLargeText() {
  document.documentElement.style.fontSize = `${largeText.value ? LARGE_PX : NORMAL_PX}px`;
  document.documentElement.classList.toggle('large-text', largeText.value);
}

export function setLargeText(on) {
  largeText.value = !!on;
  try {
    localStorage.setItem(KEY, on ? '1' : '0');
  } catch {
    /* ignore: the choice still holds for this visit */
  }
  applyLargeText();
}
