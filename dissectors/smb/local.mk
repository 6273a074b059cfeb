# dissectors/smb/local.mk - SMB1/SMB2 over NetBIOS, MS17-010 / EternalBlue / DoublePulsar detection.
libkagami_a_SOURCES += \
	dissectors/smb/smb_records.c dissectors/smb/smb_records.h \
	dissectors/smb/smb.c dissectors/smb/smb.h
