import { marked } from 'marked';

/** What a model card page is made of: its manifest (a summary table) and its README (markdown). */
export interface ModelCardSource {
  readonly manifest: {
    readonly id: string;
    readonly version: string;
    readonly status: string;
    readonly task: string;
    readonly description?: string;
    readonly accepts?: { modalities?: string[]; kernelFamilies?: string[]; matrixSizes?: number[][]; pixelSpacingMm?: number[] };
    readonly output?: { targetKernel?: string; kernelFamily?: string; scale?: { inPlane?: number; z?: number } };
    readonly normalization?: { huWindow?: number[]; outsideWindow?: { method?: string } };
  };
  readonly markdown: string;
}

const escape = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A model card as a readable HTML fragment: what the model accepts and what it makes (from the
 * manifest), then the card itself (markdown rendered by marked; cards are files of the models
 * folder, which the operator installs, and the console's content policy allows no script).
 */
export function renderModelCard({ manifest, markdown }: ModelCardSource): string {
  const { accepts = {}, output = {}, normalization = {} } = manifest;
  const rows: [string, string][] = [
    ['Model', `${manifest.id}@${manifest.version} (${manifest.status})`],
    ['Task', manifest.task],
    ['Accepts', [accepts.modalities?.join(', '), accepts.kernelFamilies && `${accepts.kernelFamilies.join(' or ')} kernels`, accepts.matrixSizes?.map((size) => size.join('x')).join(', '), accepts.pixelSpacingMm && `pixels ${accepts.pixelSpacingMm.join('-')} mm`].filter(Boolean).join('; ')],
    ['Makes', [output.targetKernel && `${output.targetKernel} (${output.kernelFamily ?? 'unknown'} family)`, output.scale && `scale ${output.scale.inPlane ?? 1}x in plane, ${output.scale.z ?? 1}x in z`].filter(Boolean).join('; ')],
    ['HU window', normalization.huWindow ? `${normalization.huWindow.join(' to ')} HU; outside it: ${normalization.outsideWindow?.method ?? 'unchanged'}` : ''],
  ];
  const table = rows.map(([name, value]) => `<tr><th>${escape(name)}</th><td>${escape(value)}</td></tr>`).join('');
  return `<article class="model-card"><table class="summary">${table}</table>${marked.parse(markdown, { async: false })}</article>`;
}
