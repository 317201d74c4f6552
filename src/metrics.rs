//! The Prometheus text format `/metrics` serves: a page written metric by
//! metric, each with its help and type lines. Every layer that counts
//! something writes its own lines through it.

use std::fmt::Write;

/// A `/metrics` page being written.
#[derive(Default)]
pub struct Page(String);

impl Page {
    pub fn new() -> Page {
        Page(String::with_capacity(4096))
    }

    /// A metric with labelled samples (`{kind="tcp"}`, or "" for none).
    pub fn labelled(&mut self, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
        let _ = writeln!(self.0, "# HELP linechat_{name} {help}\n# TYPE linechat_{name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(self.0, "linechat_{name}{labels} {value}");
        }
    }

    /// A counter with one sample.
    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.labelled(name, "counter", help, &[("", value)]);
    }

    /// A gauge with one sample.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.labelled(name, "gauge", help, &[("", value)]);
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_written_in_the_text_format() {
        let mut p = Page::new();
        p.counter("lines_total", "Lines.", 3.0);
        p.labelled("open", "gauge", "Open.", &[("{kind=\"tcp\"}", 1.0), ("{kind=\"irc\"}", 2.0)]);
        assert_eq!(
            p.into_string(),
            "# HELP linechat_lines_total Lines.\n# TYPE linechat_lines_total counter\nlinechat_lines_total 3\n\
             # HELP linechat_open Open.\n# TYPE linechat_open gauge\nlinechat_open{kind=\"tcp\"} 1\nlinechat_open{kind=\"irc\"} 2\n"
        );
    }
}
