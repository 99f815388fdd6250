import { escapeHtml, html as htmlTag, raw } from './html';

// Under another name, so that the formatter leaves the templates' exact text alone.
const tag = htmlTag;

describe('html', () => {
  it('escapes every interpolation that is not already safe HTML', () => {
    const name = `<script>alert("x")</script>'&\``;
    expect(tag`<td title="${name}">${name}</td>`.value).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;&#96;</td>',
    );
  });

  it('writes nested templates and raw markup as they are, escaping inside them', () => {
    const items = ['a<b', 'c&d'].map((i) => tag`<li>${i}</li>`);
    expect(tag`<ul>${items}</ul>${raw('<svg></svg>')}`.value).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul><svg></svg>');
  });

  it('writes numbers as text and nothing for null, undefined and false', () => {
    expect(tag`${0}|${1.5}|${null}|${undefined}|${false}|${true}`.value).toBe('0|1.5||||true');
  });

  it('escapes an object through its string form', () => {
    expect(tag`${{ toString: () => '<b>' }}`.value).toBe('&lt;b&gt;');
    expect(escapeHtml('plain')).toBe('plain');
  });
});
