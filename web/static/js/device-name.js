// device-name.js: the forms that name this phone (sign-in, the compact bar's menu) carry its
// id (the X-Device-Id every sync sends, kept in IndexedDB) and remember the name given, so
// the field shows it next time. The server keeps the name (server/accounts/devices.py).

import { deviceId, getMeta, setMeta } from './store.js';

export async function mountDeviceForms() {
  const forms = document.querySelectorAll('form[data-device-form]');
  if (!forms.length) return;
  let id;
  try { id = await deviceId(); } catch { return; } // no IndexedDB: the phone stays unnamed
  const name = await getMeta('device_name').catch(() => null);
  for (const form of forms) {
    form.querySelector('input[name="device_id"]').value = id;
    const field = form.querySelector('input[name="device_name"]');
    if (name && !field.value) field.value = name;
    form.addEventListener('submit', () => { setMeta('device_name', field.value.trim()).catch(() => {}); });
  }
}

mountDeviceForms();
