"""VideoLightFormer project (package ``projects.videolightformer.videolightformer``)."""
