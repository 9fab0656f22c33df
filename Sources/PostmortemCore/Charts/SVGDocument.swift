import Foundation

/// The SVG text of one chart, written element by element. Attribute values it is given are
/// escaped; coordinates go through ``SVGText/coordinate(_:)``.
struct SVGDocument {
    /// Sans-serif fonts every platform has.
    static let fontFamily = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"

    private var text: String
    /// The prefix of every `id` in the document.
    let id: String

    /// Starts an accessible image: `role="img"`, labelled by its `<title>` and described by its
    /// `<desc>`, on a white background.
    init(width: Int, height: Int, id: String, title: String, description: String) {
        self.id = id
        text = ""
        text.reserveCapacity(4096)
        text +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" "
            + "font-family=\"\(Self.fontFamily)\">"
        text += "<title id=\"\(id)-title\">\(SVGText.escape(title))</title>"
        text += "<desc id=\"\(id)-desc\">\(SVGText.escape(description))</desc>"
        element("rect", ["width": "\(width)", "height": "\(height)", "fill": "#ffffff"])
    }

    /// A valid, page-unique-enough element ID from `requested`, else from a digest of `seed`:
    /// letters, digits, `-` and `_` only, starting with a letter.
    static func identifier(requested: String?, seed: String) -> String {
        let raw = requested ?? "chart-" + String(StableID.sha1Hex(seed).prefix(12))
        let kept = String(
            raw.unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
            })
        return kept.first.map { $0.isLetter } == true ? kept : "c" + kept
    }

    /// `<name a="v" …/>`, attributes in the order given.
    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>) {
        open(name, attributes)
        text += "/>"
    }

    /// `<text …>content</text>`, content escaped.
    mutating func text(_ content: String, _ attributes: KeyValuePairs<String, String>) {
        open("text", attributes)
        text += ">" + SVGText.escape(content) + "</text>"
    }

    /// `<text …>` of `lines`, one `<tspan>` each, `lineHeight` apart below the first.
    mutating func text(lines: [String], lineHeight: Double, _ attributes: KeyValuePairs<String, String>) {
        guard lines.count > 1, let x = attributes.first(where: { $0.key == "x" })?.value else {
            text(lines.first ?? "", attributes)
            return
        }
        open("text", attributes)
        text += ">"
        for (index, line) in lines.enumerated() {
            text +=
                "<tspan x=\"\(SVGText.escape(x))\" dy=\"\(index == 0 ? "0" : SVGText.coordinate(lineHeight))\">"
                + SVGText.escape(line) + "</tspan>"
        }
        text += "</text>"
    }

    /// Raw markup the caller built from escaped parts.
    mutating func raw(_ markup: String) { text += markup }

    private mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String>) {
        text += "<" + name
        for (key, value) in attributes { text += " " + key + "=\"" + SVGText.escape(value) + "\"" }
    }

    /// The finished document.
    func finish() -> String { text + "</svg>" }
}

/// Where labels go so they do not overlap.
enum LabelLayout {
    /// For spans sorted by start, the lane (row) of each: the first lane whose last span ends
    /// `gap` before it starts; past `maxLanes`, the lane that ends first (labels may then touch).
    static func lanes(_ spans: [(start: Double, end: Double)], maxLanes: Int, gap: Double = 6) -> [Int] {
        var ends: [Double] = []
        return spans.map { span in
            if let free = ends.firstIndex(where: { $0 + gap <= span.start }) {
                ends[free] = span.end
                return free
            }
            if ends.count < max(maxLanes, 1) {
                ends.append(span.end)
                return ends.count - 1
            }
            let earliest = ends.indices.min { ends[$0] < ends[$1] } ?? 0
            ends[earliest] = max(ends[earliest], span.end)
            return earliest
        }
    }

    /// Positions as close to `wanted` as possible, each at least `gap` below the end of the one
    /// above (a label `extents[i]` tall ends at its position plus that), within `top…bottom`
    /// when they fit: pushed down from the top first, then up from the bottom.
    static func spread(_ wanted: [Double], extents: [Double], gap: Double, top: Double, bottom: Double) -> [Double] {
        let order = wanted.indices.sorted { (wanted[$0], $0) < (wanted[$1], $1) }
        let extent = order.map { extents[$0] }
        var placed = order.map { min(max(wanted[$0], top), bottom - extents[$0]) }
        for i in placed.indices.dropFirst() { placed[i] = max(placed[i], placed[i - 1] + extent[i - 1] + gap) }
        if let last = placed.indices.last, placed[last] + extent[last] > bottom {
            placed[last] = bottom - extent[last]
            for i in placed.indices.dropLast().reversed() {
                placed[i] = min(placed[i], placed[i + 1] - extent[i] - gap)
            }
        }
        var result = wanted
        for (rank, index) in order.enumerated() { result[index] = placed[rank] }
        return result
    }

    /// `text` in at most `maxLines` lines of about `width` pixels at `fontSize`, broken at
    /// spaces; the last line is cut with an ellipsis when the text does not fit.
    static func wrap(_ text: String, width: Double, fontSize: Double, maxLines: Int) -> [String] {
        let fits = max(Int(width / (fontSize * 0.6)), 1)
        var lines: [String] = []
        var rest = Substring(text)
        while rest.count > fits, lines.count < maxLines - 1 {
            let head = rest.prefix(fits + 1)
            guard let space = head.lastIndex(of: " "), space > rest.startIndex else { break }
            lines.append(String(rest[..<space]))
            rest = rest[rest.index(after: space)...]
        }
        lines.append(fit(String(rest), width: width, fontSize: fontSize))
        return lines
    }

    /// `text` cut with an ellipsis to about `width` pixels at `fontSize`.
    static func fit(_ text: String, width: Double, fontSize: Double) -> String {
        let fits = Int(width / (fontSize * 0.6))
        guard text.count > fits else { return text }
        return fits <= 1 ? "…" : String(text.prefix(fits - 1)) + "…"
    }
}
