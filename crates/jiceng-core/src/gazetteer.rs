//! 地名匹配: finding the place a caller names in free text ("桃源村村口的路灯不亮"), against the
//! county's gazetteer — its villages and communities, each with its township. The longest name
//! found wins; a name two places share is settled by the township named beside it, otherwise
//! the text names no single place and nothing is guessed.

/// One named place: a village or community and the township it lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub township: &'a str,
}

/// What the text names: a place of the gazetteer, or only a township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    Village(&'a Entry<'a>),
    /// The township's name (and no village of it) is in the text.
    Township(&'a str),
}

/// Names shorter than this are not looked for (a one-character name matches anything).
const MIN_CHARS: usize = 2;

/// The single place the text names, if it names one.
pub fn find<'a>(text: &str, entries: &'a [Entry<'a>]) -> Option<Found<'a>> {
    let text: String = text.split_whitespace().collect();
    if text.is_empty() {
        return None;
    }
    let named = |n: &str| n.chars().count() >= MIN_CHARS && text.contains(n);
    let longest = entries
        .iter()
        .filter(|e| named(e.name))
        .map(|e| e.name.chars().count())
        .max();
    if let Some(len) = longest {
        let hits: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.name.chars().count() == len && named(e.name))
            .collect();
        if let [one] = hits.as_slice() {
            return Some(Found::Village(one));
        }
        // The same name in several townships: the township said beside it decides.
        let in_named_township: Vec<&Entry> =
            hits.into_iter().filter(|e| named(e.township)).collect();
        if let [one] = in_named_township.as_slice() {
            return Some(Found::Village(one));
        }
        return None;
    }
    let mut townships: Vec<&str> = entries
        .iter()
        .map(|e| e.township)
        .filter(|t| named(t))
        .collect();
    townships.sort_unstable();
    townships.dedup();
    match townships.as_slice() {
        [one] => Some(Found::Township(one)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(code: &'a str, name: &'a str, township: &'a str) -> Entry<'a> {
        Entry {
            code,
            name,
            township,
        }
    }

    #[test]
    fn the_longest_single_name_wins_and_a_shared_one_needs_its_township() {
        let g = [
            e("1", "桃源村", "青山镇"),
            e("2", "桃源新村", "青山镇"),
            e("3", "幸福社区", "城关街道"),
            e("4", "幸福社区", "东城街道"),
            e("5", "李家村", "南山镇"),
        ];
        let code = |t: &str| match find(t, &g) {
            Some(Found::Village(v)) => v.code.to_string(),
            Some(Found::Township(t)) => t.to_string(),
            None => String::new(),
        };
        assert_eq!(code("桃源村村口的路灯不亮"), "1");
        assert_eq!(code("桃源新村 3组门口"), "2");
        // Two 幸福社区: only the one whose township is said.
        assert_eq!(code("幸福社区5幢楼道漏水"), "");
        assert_eq!(code("东城街道幸福社区5幢"), "4");
        // Only a township: the township.
        assert_eq!(code("南山镇政府对面的路面塌了"), "南山镇");
        assert_eq!(code("路灯不亮"), "");
        assert_eq!(code(""), "");
        // Spaces typed inside a name do not hide it.
        assert_eq!(code("李家 村"), "5");
    }
}
