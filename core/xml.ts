/**
 * XML escaping, one place for every writer and reader of libvirt domain XML, and the text
 * escaping the HTML report builds on (analysis/html.ts). Attribute escaping is what libvirt itself
 * writes in `virsh dumpxml` (`&amp; &lt; &gt; &apos; &quot;`, checked against libvirtd by
 * test/integration/domain-xml-libvirt.test.ts), so a value escaped here is found verbatim in
 * libvirt's output (the clone rewrites paths in it).
 */

/** Escapes text content (`&`, `<`, `>`). */
export function escapeXmlText(value: string): string {
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Escapes an attribute value for either quote style; tab/LF/CR become character references so
 * attribute-value normalisation cannot turn them into spaces.
 */
export function escapeXmlAttr(value: string): string {
    return escapeXmlText(value).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

/** The value of escaped text or an attribute: the five named entities and decimal or hex character references. */
export function unescapeXml(value: string): string {
    return value.replace(/&(amp|lt|gt|apos|quot|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
        switch (e) {
            case "amp":
                return "&";
            case "lt":
                return "<";
            case "gt":
                return ">";
            case "apos":
                return "'";
            case "quot":
                return '"';
            default:
                return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
        }
    });
}
