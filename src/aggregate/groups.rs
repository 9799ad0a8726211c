//! Channel groups: the channels analysts compare as one (`professional` = XING and
//! LinkedIn, ...), in `by_channel`, `by_channel_group` and the report.

use std::collections::BTreeMap;

use crate::mention::Channel;

/// The group of channels no group names.
pub const OTHER: &str = "other";

/// Group name → channels. The defaults: `professional` (XING, LinkedIn), `social`
/// (Twitter/X, Facebook, Instagram, TikTok, Pinterest, YouTube), `media` (news, blogs),
/// `community` (forums), `reviews` (review and employer-review sites); any other channel is
/// in `other`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelGroups {
    groups: BTreeMap<String, Vec<Channel>>,
}

impl Default for ChannelGroups {
    fn default() -> Self {
        use Channel::*;
        let groups = [
            ("professional", vec![Xing, Linkedin]),
            ("social", vec![Twitter, Facebook, Instagram, Tiktok, Pinterest, Youtube]),
            ("media", vec![News, Blog]),
            ("community", vec![Forum]),
            ("reviews", vec![Review]),
        ];
        ChannelGroups { groups: groups.into_iter().map(|(g, c)| (g.to_string(), c)).collect() }
    }
}

impl ChannelGroups {
    /// The defaults with `report.toml`'s `[channel_groups]` laid over them: a group named
    /// there has exactly the channels given, and those channels leave their default group.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<Channel>>) -> ChannelGroups {
        let mut g = ChannelGroups::default();
        for channels in g.groups.values_mut() {
            channels.retain(|c| !overrides.values().flatten().any(|o| o == c));
        }
        for (name, channels) in overrides {
            g.groups.insert(name.clone(), channels.clone());
        }
        g.groups.retain(|_, c| !c.is_empty());
        g
    }

    /// The group of a channel by its name (`other` for a channel in none).
    pub fn group_of(&self, channel: &str) -> &str {
        self.groups.iter().find(|(_, cs)| cs.iter().any(|c| c.as_str() == channel)).map_or(OTHER, |(g, _)| g.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let d = ChannelGroups::default();
        assert_eq!(d.group_of("xing"), "professional");
        assert_eq!(d.group_of("pinterest"), "social");
        assert_eq!(d.group_of("blog"), "media");
        assert_eq!(d.group_of("review"), "reviews");
        assert_eq!(d.group_of("other"), OTHER);
        let o = ChannelGroups::with_overrides(&BTreeMap::from([("video".to_string(), vec![Channel::Youtube, Channel::Tiktok])]));
        assert_eq!(o.group_of("youtube"), "video");
        assert_eq!(o.group_of("tiktok"), "video");
        assert_eq!(o.group_of("twitter"), "social");
        assert_eq!(o.group_of("linkedin"), "professional");
    }
}
