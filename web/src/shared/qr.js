// QR codes drawn in the browser by the `qrcode` package (a canvas turned into
// a PNG data URL): nothing is fetched, and the CSP allows data: images.
import QRCode from 'qrcode';

/** A PNG data URL of a QR code for `text`. */
export function qrDataUrl(text, { size = 240, margin = 1 } = {}) {
  return QRCode.toDataURL(String(text), { width: size, margin, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } });
}
