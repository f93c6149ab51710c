"""VideoLightFormer project (package ``vsgt_projects.videolightformer.videolightformer``)."""
